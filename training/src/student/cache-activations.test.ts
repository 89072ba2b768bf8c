import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256Hex } from "@pifu/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readModelArtifacts } from "../backbones/load.js";
import { initBackend } from "../backend/index.js";
import { runScript, runScriptOk } from "../testing/cli.js";
import { writeSyntheticSet, writeTinyBackbone } from "../testing/fixtures.js";
import { readCachedSplit } from "./cache-store.js";

let dir: string;
const cache = () => join(dir, "cache");

async function cacheViews(split: string, views: string[], shard = "0/1") {
  const args = [`--backbone=${join(dir, "backbone")}`, `--data=${join(dir, "data")}`, `--split=${split}`];
  args.push("--outputs=tiny_conv2:gap", "--size=32", `--shard=${shard}`, `--out=${cache()}`, ...views);
  await runScriptOk("student/cache-activations.ts", args);
}

/** Each image's row of one view, by image id. */
async function rowsById(split: string, view: "id" | `aug${number}`) {
  const cached = await readCachedSplit(cache(), split, "tiny_conv2", 32);
  const rows = cached.variants.get(view) as Float32Array;
  const width = cached.shape[0] as number;
  return new Map(cached.images.map((img, i) => [img.id, Array.from(rows.subarray(i * width, (i + 1) * width))]));
}

beforeAll(async () => {
  await initBackend("wasm");
  dir = await mkdtemp(join(tmpdir(), "pifu-cache-activations-"));
  await writeSyntheticSet(join(dir, "data"), {
    classes: ["acne_rosacea", "eczema"],
    perClass: [3, 2],
    size: 40,
    broken: true,
  });
  await writeTinyBackbone(join(dir, "backbone"), 32);
  await Promise.all([
    cacheViews("whole", ["--augment=2"]),
    cacheViews("sharded", ["--augment=2"], "0/2").then(() => cacheViews("sharded", ["--augment=2"], "1/2")),
    cacheViews("flips", ["--variants=id"]),
  ]);
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("cache-activations --augment", () => {
  it("caches N random augmentation draws per image, named aug0..aug{N-1}, and records the preset", async () => {
    const whole = await readCachedSplit(cache(), "whole", "tiny_conv2", 32);
    expect([...whole.variants.keys()]).toEqual(["aug0", "aug1"]);
    expect(whole.images).toHaveLength(5);
    const index = JSON.parse(await readFile(join(cache(), "whole", "0of1-index.json"), "utf8"));
    expect(index.augment).toEqual({ preset: "strong", seed: 42 });
    // Each embedded photo's content hash, by which a later run notices it rewritten in place.
    for (const image of whole.images) expect(image.sha256).toBe(await sha256Hex(await readFile(image.path)));
  });

  it("records the backbone's hash, and each photo that failed to decode with its content hash", async () => {
    const index = JSON.parse(await readFile(join(cache(), "flips", "0of1-index.json"), "utf8"));
    expect(index.backboneSha256).toBe((await readModelArtifacts(join(dir, "backbone"))).sha256);
    const broken = ["corrupt.jpg", "truncated.jpg"].map((name) => join(dir, "data", "acne_rosacea", name));
    expect(index.failed.map((f: string) => f.split(": ")[0]).sort()).toEqual(broken);
    expect(index.failedSha256).toEqual(
      Object.fromEntries(await Promise.all(broken.map(async (path) => [path, await sha256Hex(await readFile(path))]))),
    );
  });

  it("draws differ from each other and from the plain centre crop", async () => {
    const [aug0, aug1, plain] = await Promise.all([
      rowsById("whole", "aug0"),
      rowsById("whole", "aug1"),
      rowsById("flips", "id"),
    ]);
    for (const [id, row] of aug0) {
      expect(row, id).not.toEqual(aug1.get(id));
      expect(row, id).not.toEqual(plain.get(id));
    }
  });

  it("gives each image the same draws however the images are sharded", async () => {
    for (const view of ["aug0", "aug1"] as const) {
      const [whole, sharded] = await Promise.all([rowsById("whole", view), rowsById("sharded", view)]);
      expect(sharded.size).toBe(5);
      for (const [id, row] of whole) expect(sharded.get(id), id).toEqual(row);
    }
  });
});

describe("cache-activations on bad input", { timeout: 60_000 }, () => {
  const failing = (...flags: string[]) =>
    runScript("student/cache-activations.ts", [
      `--data=${join(dir, "data")}`,
      "--split=bad",
      "--outputs=tiny_conv2:gap",
      "--size=32",
      `--out=${cache()}`,
      ...flags,
    ]);

  it("ends a failure after the wasm backend started with one line on stderr", async () => {
    const { code, stderr } = await failing(`--backbone=${join(dir, "no-backbone")}`);
    expect(code).toBe(1);
    expect(stderr.trim()).toMatch(/^cache-activations: [^\n]*no-backbone[^\n]*$/);
  });

  it("refuses a --batch or --shard that cannot split the work, naming the flag", async () => {
    const backbone = `--backbone=${join(dir, "backbone")}`;
    const batch = await failing(backbone, "--batch=0");
    expect(batch.stderr.trim()).toBe("cache-activations: --batch must be at least 1, got 0");
    const shard = await failing(backbone, "--shard=2/2");
    expect(shard.stderr.trim()).toBe(
      'cache-activations: --shard must be INDEX/COUNT with 0 ≤ INDEX < COUNT (e.g. 0/2), got "2/2"',
    );
  });
});
