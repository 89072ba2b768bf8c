import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ModelCard, preprocess, SKIN8_CLASS_IDS, softmax } from "@pifu/core";
import * as tfl from "@tensorflow/tfjs-layers";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend, tf } from "../backend/index.js";
import { decodeImage } from "../data/index.js";
import { exportModelFolder } from "../export/card.js";
import { testCardFields, tinyClassifier } from "../export/test-model.js";
import { runCli } from "../testing/cli.js";
import { openModelDir } from "./model-dir.js";
import { scoreImages } from "./run.js";

let dir: string;

async function image(path: string, rgb: [number, number, number], seed: number): Promise<void> {
  const width = 40;
  const height = 30;
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < data.length; i++)
    data[i] = Math.max(0, Math.min(255, (rgb[i % 3] as number) + (((i * 7919 + seed * 31) % 41) - 20)));
  await sharp(data, { raw: { width, height, channels: 3 } })
    .jpeg()
    .toFile(path);
}

const evaluate = (args: string[]) => runCli("evaluate", args);

beforeAll(async () => {
  await initBackend("wasm");
  dir = await mkdtemp(join(tmpdir(), "pifu-evaluate-"));
  const fields = await testCardFields(16);
  await exportModelFolder(
    tinyClassifier(16, 8, 4),
    join(dir, "model"),
    {
      ...fields,
      preprocessing: { ...fields.preprocessing, inputSize: 16 },
      unsure: { score: "maxProb", threshold: 0.5, coverage: 0.9 },
    },
    "float16",
  );
  const colours: Record<string, [number, number, number]> = {
    acne_rosacea: [200, 60, 60],
    eczema: [60, 200, 60],
    nevus: [60, 60, 200],
  };
  for (const [label, rgb] of Object.entries(colours)) {
    await mkdir(join(dir, "data", label), { recursive: true });
    for (let i = 0; i < 3; i++) await image(join(dir, "data", label, `${label}-${i}.jpg`), rgb, i);
  }
  await writeFile(join(dir, "data", "eczema", "broken.jpg"), Buffer.from("not a jpeg at all"));
  await mkdir(join(dir, "ood"), { recursive: true });
  for (let i = 0; i < 3; i++) await image(join(dir, "ood", `other-${i}.jpg`), [230, 230, 230], i);
  await symlink(join(dir, "deleted.jpg"), join(dir, "ood", "gone.jpg"));
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("npm run evaluate", () => {
  it("prints the report and writes JSON with every field, skipping a corrupt file and a dangling link", async () => {
    const json = join(dir, "out", "result.json");
    const { code, stdout } = await evaluate([
      "--model",
      join(dir, "model"),
      "--data",
      join(dir, "data"),
      "--ood",
      join(dir, "ood"),
      "--json",
      json,
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/\| macro avg \|/);
    expect(stdout).toMatch(/broken\.jpg/);
    const result = JSON.parse(await readFile(json, "utf8"));
    for (const key of [
      "accuracy",
      "macroF1",
      "weightedF1",
      "top3Accuracy",
      "ece",
      "oodAuroc",
      "unsureRateIn",
      "unsureRateOod",
    ]) {
      expect(typeof result[key], key).toBe("number");
      expect(result[key]).toBeGreaterThanOrEqual(0);
      expect(result[key]).toBeLessThanOrEqual(1);
    }
    // Every unsure score's AUROC, the card's own equal to oodAuroc.
    expect(Object.keys(result.ood.aurocByScore)).toEqual(["maxProb", "margin", "energy"]);
    const card = JSON.parse(await readFile(join(dir, "model", "model-card.json"), "utf8"));
    expect(result.ood.aurocByScore[card.unsure.score]).toBeCloseTo(result.oodAuroc, 12);
    expect(stdout).toMatch(/AUROC each unsure score would give: maxProb 0\.\d{3}, margin 0\.\d{3}, energy 0\.\d{3}/);
    expect(result.support).toBe(9);
    expect(result.ood.support).toBe(3);
    expect(Object.keys(result.perClass)).toHaveLength(8);
    expect(result.perClass.eczema).toMatchObject({ support: 3 });
    expect(Object.keys(result.perClass.eczema).sort()).toEqual(["f1", "precision", "recall", "support"]);
    expect(result.confusion).toHaveLength(8);
    expect(result.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(9);
    expect(result.skipped.map((s: { path: string }) => s.path.split("/").pop())).toEqual(["broken.jpg", "gone.jpg"]);
    expect(result.skipped[1].reason).toBe("a link to nothing");
    // The data holds 3 of the card's 8 classes: said in the report and the JSON, macro-F1 covers those 3.
    const present = ["acne_rosacea", "eczema", "nevus"];
    expect(result.missingClasses).toEqual(SKIN8_CLASS_IDS.filter((id) => !present.includes(id)));
    expect(stdout).toMatch(
      /--data has no images of 5 of the card's 8 classes \(.*\); macro averages cover the 3 present/,
    );
    expect(await readdir(join(dir, "out"))).toEqual(["result.json"]);
  }, 60_000);

  it("refuses a --json inside --model or --data, or one it cannot write, before any work", async () => {
    const model = join(dir, "model");
    const card = join(model, "model-card.json");
    const before = await readFile(card, "utf8");
    const args = (json: string) => ["--model", model, "--data", join(dir, "data"), "--json", json];
    const inModel = await evaluate(args(card));
    expect(inModel.code).toBe(1);
    expect(inModel.stderr).toMatch(
      /^evaluate: --json .*model-card\.json is inside --model .*model; write it elsewhere/m,
    );
    expect(await readFile(card, "utf8")).toBe(before);
    await openModelDir(model);
    const inData = await evaluate(args(join(dir, "data", "eczema", "result.json")));
    expect(inData.stderr).toMatch(/--json .* is inside --data /);

    const folder = await evaluate(args(join(dir, "data")));
    expect(folder.code).toBe(1);
    expect(folder.stderr).toMatch(/--json .*data is inside --data|--json .* is a folder/);
    await writeFile(join(dir, "a-file"), "");
    const underFile = await evaluate(args(join(dir, "a-file", "result.json")));
    expect(underFile.code).toBe(1);
    expect(underFile.stderr).toMatch(/^evaluate: cannot create the folder of --json .*a-file\/result\.json: /m);
    const existingFolder = await evaluate(args(join(dir, "ood")));
    expect(existingFolder.stderr).toMatch(/^evaluate: --json .*ood is a folder/m);
    for (const refused of [inModel, inData, folder, underFile, existingFolder]) expect(refused.stdout).toBe("");
  }, 60_000);

  it("names unknown class folders and empty classes without a stack trace", async () => {
    await mkdir(join(dir, "bad1", "not_a_class"), { recursive: true });
    await image(join(dir, "bad1", "not_a_class", "x.jpg"), [1, 2, 3], 1);
    const unknown = await evaluate(["--model", join(dir, "model"), "--data", join(dir, "bad1")]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/not_a_class/);
    expect(unknown.stderr).not.toMatch(/\n\s+at /);

    await mkdir(join(dir, "bad2", "eczema"), { recursive: true });
    await mkdir(join(dir, "bad2", "warts"), { recursive: true });
    await image(join(dir, "bad2", "eczema", "x.jpg"), [1, 2, 3], 1);
    const empty = await evaluate(["--model", join(dir, "model"), "--data", join(dir, "bad2")]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/warts.*hold no images/);

    await writeFile(join(dir, "bad2", "warts", "broken.jpg"), "not a jpeg");
    const undecodable = await evaluate(["--model", join(dir, "model"), "--data", join(dir, "bad2")]);
    expect(undecodable.code).toBe(1);
    expect(undecodable.stderr).toMatch(
      /no image in class folder\(s\) warts .* could be decoded \(e\.g\. .*broken\.jpg: /,
    );
  }, 60_000);

  it("refuses a batch size below 1 instead of never finishing", async () => {
    const result = await evaluate(["--model", join(dir, "model"), "--data", join(dir, "data"), "--batch", "0"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--batch must be at least 1, got 0/);
  }, 60_000);

  it("refuses a model folder whose files do not match the card", async () => {
    const shard = join(dir, "model", "group1-shard1of1.bin");
    const bytes = await readFile(shard);
    await writeFile(shard, bytes.subarray(0, bytes.length - 2));
    const result = await evaluate(["--model", join(dir, "model"), "--data", join(dir, "data")]);
    await writeFile(shard, bytes);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/group1-shard1of1\.bin is \d+ bytes, the card says/);
  }, 60_000);
});

describe("scoreImages with test-time flips", () => {
  it("averages the logits of the card's flipped views before the temperature, as the card asks", async () => {
    // Flatten + dense: unlike a pooled network, every flip gives clearly different logits.
    const side = 8;
    const input = tfl.input({ shape: [side, side, 3] });
    const flat = tfl.layers.flatten().apply(input) as tfl.SymbolicTensor;
    const dense = tfl.layers.dense({ units: 8, kernelInitializer: tfl.initializers.glorotUniform({ seed: 9 }) });
    const model = tfl.model({ inputs: input, outputs: dense.apply(flat) as tfl.SymbolicTensor });
    const fields = await testCardFields(side);
    const flips = ["id", "h", "v", "hv"] as const;
    const card = {
      ...fields,
      calibration: { temperature: 2, eceBefore: 0, eceAfter: 0 },
      testTimeAugmentation: { flips: [...flips], combine: "mean-logits" },
    } as unknown as ModelCard;
    const paths = [join(dir, "data", "eczema", "eczema-0.jpg"), join(dir, "data", "nevus", "nevus-1.jpg")];
    const scored = await scoreImages(model, card, paths);

    for (const [j, path] of paths.entries()) {
      const x = tf.tensor4d(preprocess(await decodeImage(path), card.preprocessing), [1, side, side, 3]);
      const views = [x, tf.reverse(x, 2), tf.reverse(x, 1), tf.reverse(x, [1, 2])];
      const perView = views.map((v) => (model.predict(v) as tf.Tensor).dataSync());
      const mean = Array.from({ length: 8 }, (_, c) => perView.reduce((t, l) => t + (l[c] as number), 0) / 4);
      const plain = softmax(perView[0] as Float32Array, 2);
      const expected = softmax(mean, 2);
      const got = scored.probabilities.subarray(j * 8, (j + 1) * 8);
      for (let c = 0; c < 8; c++) expect(got[c]).toBeCloseTo(expected[c] as number, 5);
      // The views really differ, so the test would notice a runner that ignored them.
      expect(Math.max(...got.map((p, c) => Math.abs(p - (plain[c] as number))))).toBeGreaterThan(1e-3);
      tf.dispose(views);
    }
    model.dispose();
  }, 60_000);
});
