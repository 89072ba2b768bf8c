import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_PREPROCESS } from "@pifu/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadLayersModelFrom } from "../backbones/load.js";
import { initBackend } from "../backend/index.js";
import { writeMobilenetNamedBackbone, writeSyntheticSet } from "../testing/fixtures.js";
import { adaptBackboneFolder, readAdaptation } from "./adapt-backbone.js";
import { backboneProvenance } from "./pipeline.js";

let root: string;
let backbone: string;
let data: string;
const preprocessing = { ...DEFAULT_PREPROCESS, inputSize: 32 };

beforeAll(async () => {
  await initBackend("wasm");
  root = await mkdtemp(join(tmpdir(), "pifu-adapt-"));
  backbone = await writeMobilenetNamedBackbone(join(root, "backbone"), 32);
  data = join(root, "photos");
  // 10 good photos and 2 broken ones: 3 batches of 4, each with at least 2 photos that decode.
  await writeSyntheticSet(data, { classes: ["eczema", "nevus"], perClass: [5, 5], size: 40, broken: true });
});
afterAll(() => rm(root, { recursive: true, force: true }));

const movingMean = async (folder: string) => {
  const { model } = await loadLayersModelFrom(folder, 32);
  const layer = model.getLayer("bn_Conv1");
  const values = Array.from(layer.getWeights()[2]?.dataSync() ?? []);
  model.dispose();
  return values;
};

describe("adaptBackboneFolder", () => {
  it("saves the backbone with statistics from the photos, leaves out broken photos, and records how", async () => {
    const out = join(root, "adapted");
    const progress: number[] = [];
    const record = await adaptBackboneFolder({
      backbone,
      data,
      out,
      preprocessing,
      batchSize: 4,
      seed: 1,
      onProgress: (done, total) => progress.push(done / total),
    });
    expect(record.images).toBe(10);
    // "path: reason", the path named once.
    expect(record.failed.every((f) => f.split(data).length === 2)).toBe(true);
    expect(record.failed.map((f) => f.split(": ")[0]?.split("/").pop()).sort()).toEqual([
      "corrupt.jpg",
      "truncated.jpg",
    ]);
    expect(record.batchNorms).toBe(8);
    expect(record.sourceSha256).toBe((await loadLayersModelFrom(backbone)).sha256);
    expect(progress.at(-1)).toBe(1);

    expect(await movingMean(backbone)).toEqual(new Array(8).fill(0));
    expect((await movingMean(out)).some((m) => Math.abs(m) > 1e-3)).toBe(true);
    expect(await readAdaptation(out)).toEqual(record);
    expect(await readAdaptation(backbone)).toBeUndefined();
    expect(backboneProvenance(record)).toContain(`re-estimated on 10 photos of ${data}`);
  });

  it("refuses an adaptation record that is not one", async () => {
    const folder = join(root, "odd");
    await mkdir(folder);
    await writeFile(join(folder, "adaptation.json"), JSON.stringify({ source: "x", images: -1 }));
    await expect(readAdaptation(folder)).rejects.toThrow(/odd\/adaptation.json is not an adapt-backbone record/);
  });

  it("refuses to overwrite the backbone it reads", async () => {
    await expect(
      adaptBackboneFolder({ backbone, data, out: backbone, preprocessing, batchSize: 4, seed: 1 }),
    ).rejects.toThrow(`--out ${backbone} holds --backbone ${backbone}: choose an --out outside it`);
  });

  it("refuses an --out that is not empty and not an earlier adapt-backbone folder, and leaves it as it was", async () => {
    const model = join(root, "a-model");
    await cp(backbone, model, { recursive: true });
    await writeFile(join(model, "model-card.json"), "{}");
    const before = await readFile(join(model, "model.json"), "utf8");
    await expect(
      adaptBackboneFolder({ backbone, data, out: model, preprocessing, batchSize: 4, seed: 1 }),
    ).rejects.toThrow(`--out ${model} is not empty and has no adaptation.json: refusing to replace it`);
    expect(await readFile(join(model, "model.json"), "utf8")).toBe(before);
    expect((await readdir(model)).sort()).toEqual(["group1-shard1of1.bin", "model-card.json", "model.json"]);
  });

  it("replaces an earlier adapt-backbone folder whole, and a failure midway leaves it as it was", async () => {
    const out = join(root, "rerun");
    const first = await adaptBackboneFolder({ backbone, data, out, preprocessing, batchSize: 4, seed: 1 });
    await writeFile(join(out, "stale.txt"), "from before");
    const stopped = adaptBackboneFolder({
      backbone,
      data,
      out,
      preprocessing,
      batchSize: 4,
      seed: 2,
      onProgress: () => {
        throw new Error("killed");
      },
    });
    await expect(stopped).rejects.toThrow("killed");
    expect(await readAdaptation(out)).toEqual(first);
    expect(existsSync(`${out}.partial`)).toBe(false);
    const second = await adaptBackboneFolder({ backbone, data, out, preprocessing, batchSize: 4, seed: 2 });
    expect(await readAdaptation(out)).toEqual(second);
    expect(existsSync(join(out, "stale.txt"))).toBe(false);
  });

  it("refuses an --out inside --data or holding it", async () => {
    const inside = join(data, "adapted");
    await expect(
      adaptBackboneFolder({ backbone, data, out: inside, preprocessing, batchSize: 4, seed: 1 }),
    ).rejects.toThrow(`--out ${inside} is inside --data ${data}`);
    expect(existsSync(inside)).toBe(false);
    await expect(
      adaptBackboneFolder({ backbone, data, out: root, preprocessing, batchSize: 4, seed: 1 }),
    ).rejects.toThrow(`--out ${root} holds --data ${data}: choose an --out outside it`);
    // Held by a working folder of --out, not --out itself: named as such.
    const scratch = join(root, "w.partial", "photos");
    await expect(
      adaptBackboneFolder({ backbone, data: scratch, out: join(root, "w"), preprocessing, batchSize: 4, seed: 1 }),
    ).rejects.toThrow(
      `--out ${join(root, "w")} uses the working folder ${join(root, "w")}.partial (deleted or renamed as --out is written), which holds --data ${scratch}: choose an --out outside it`,
    );
  });

  it("names --backbone when it cannot be loaded", async () => {
    const missing = join(root, "nope");
    await expect(
      adaptBackboneFolder({ backbone: missing, data, out: join(root, "o"), preprocessing, batchSize: 4, seed: 1 }),
    ).rejects.toThrow(new RegExp(`^--backbone ${missing} cannot be loaded: ENOENT`));
  });
});
