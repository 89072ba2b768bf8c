import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCachedSplit } from "./cache-store.js";

let cache: string;
beforeAll(async () => {
  cache = await mkdtemp(join(tmpdir(), "pifu-cache-store-"));
  const dir = join(cache, "mnv2-224-val");
  await mkdir(dir, { recursive: true });
  // Two shards, as cache-activations.ts writes them with --shard 0/2 and 1/2.
  for (const shard of [0, 1]) {
    const images = [{ id: `img${shard}`, path: `/data/a/img${shard}.jpg`, label: "a", labelIndex: shard }];
    await writeFile(
      join(dir, `${shard}of2-index.json`),
      JSON.stringify({ spec: { inputSize: 224 }, shapes: { pooled: [2] }, variants: ["id"], images }),
    );
    await writeFile(join(dir, `${shard}of2-id-pooled.f32`), new Float32Array([shard, shard + 0.5]));
  }
});
afterAll(() => rm(cache, { recursive: true, force: true }));

describe("readCachedSplit", () => {
  it("merges the shards of a split in order", async () => {
    const split = await readCachedSplit(cache, "mnv2-224-val", "pooled", 224);
    expect(split.images.map((i) => i.id)).toEqual(["img0", "img1"]);
    expect(split.shape).toEqual([2]);
    expect(Array.from(split.variants.get("id") ?? [])).toEqual([0, 0.5, 1, 1.5]);
  });

  it("refuses activations cached at another input size", async () => {
    await expect(readCachedSplit(cache, "mnv2-224-val", "pooled", 320)).rejects.toThrow(/cached at 224 px, not 320/);
  });

  it("refuses a shard file whose size does not fit its index", async () => {
    const dir = join(cache, "mnv2-224-cut");
    await mkdir(dir, { recursive: true });
    const images = [{ id: "a", path: "/data/a/a.jpg", label: "a", labelIndex: 0 }];
    await writeFile(
      join(dir, "0of1-index.json"),
      JSON.stringify({ spec: { inputSize: 224 }, shapes: { pooled: [3] }, variants: ["id"], images }),
    );
    await writeFile(join(dir, "0of1-id-pooled.f32"), new Float32Array([1, 2]));
    await expect(readCachedSplit(cache, "mnv2-224-cut", "pooled", 224)).rejects.toThrow(
      /0of1-id-pooled\.f32 is 8 bytes, its index says 12 \(1 images of shape \[3\]\); delete .*mnv2-224-cut/,
    );
  });

  it("names the layers a split has when the asked one is missing", async () => {
    await expect(readCachedSplit(cache, "mnv2-224-val", "out_relu")).rejects.toThrow(
      /has no cached layer out_relu; it has pooled/,
    );
  });
});
