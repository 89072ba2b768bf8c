import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend, tf } from "../backend/index.js";
import { writeTinyBackbone } from "../testing/fixtures.js";
import { embedBatch, loadBackbone } from "./backbone.js";
import { loadLayersModelFrom } from "./load.js";
import { resolveBackbone } from "./registry.js";

let dir: string;
beforeAll(async () => {
  await initBackend("wasm");
  dir = await mkdtemp(join(tmpdir(), "pifu-backbone-"));
  await writeTinyBackbone(join(dir, "tiny"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("backbones", () => {
  it("loads a layers model from a path, cuts it at a named layer with pooling and hashes it", async () => {
    const entry = resolveBackbone(join(dir, "tiny"), { layer: "tiny_conv1", range: [0, 1], inputSize: 16 });
    expect(entry.spec.preprocess).toMatchObject({ inputSize: 16, range: [0, 1] });
    const backbone = await loadBackbone(entry.spec);
    expect(backbone.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(backbone.featureDim).toBe(8);
    const features = embedBatch(backbone, new Float32Array(2 * 16 * 16 * 3).fill(0.5), 2);
    expect(features).toHaveLength(16);
    const again = await loadBackbone(entry.spec);
    expect(again.sha256).toBe(backbone.sha256);
  });

  it("rebuilds a model for another input size with the same weights", async () => {
    const at16 = await loadLayersModelFrom(join(dir, "tiny"));
    const at24 = await loadLayersModelFrom(join(dir, "tiny"), 24);
    expect(at24.model.inputs[0]?.shape).toEqual([null, 24, 24, 3]);
    expect(at24.sha256).toBe(at16.sha256);
    // On a constant image every position away from the zero-padded border sees the same inputs, so
    // an interior activation must match across sizes when (and only when) the weights are the same.
    const interior = (model: typeof at16.model, size: number) =>
      tf.tidy(() => {
        const out = model.predict(tf.fill([1, size, size, 3], 0.5)) as tf.Tensor4D;
        return Array.from(tf.slice(out, [0, 3, 3, 0], [1, 1, 1, -1]).dataSync());
      });
    const a = interior(at16.model, 16);
    const b = interior(at24.model, 24);
    expect(a.some((v) => v !== 0)).toBe(true);
    for (const [i, v] of a.entries()) expect(b[i]).toBeCloseTo(v, 5);
  });

  it("loads the backbone for the spec's input size", async () => {
    const spec = resolveBackbone(join(dir, "tiny"), { layer: "tiny_conv1", inputSize: 24 }).spec;
    const backbone = await loadBackbone(spec);
    expect(backbone.full.inputs[0]?.shape).toEqual([null, 24, 24, 3]);
    expect(backbone.extractor.inputs[0]?.shape).toEqual([null, 24, 24, 3]);
    expect(backbone.featureDim).toBe(8);
    expect(embedBatch(backbone, new Float32Array(24 * 24 * 3).fill(0.5), 1)).toHaveLength(8);
    const unpooled = await loadBackbone({ ...spec, pool: "none" });
    expect(unpooled.featureShape).toEqual([12, 12, 8]);
  });

  it("keeps the activation map when pooling is off (fine-tuning caches)", async () => {
    const spec = {
      ...resolveBackbone(join(dir, "tiny"), { layer: "tiny_conv1", inputSize: 16 }).spec,
      pool: "none" as const,
    };
    const backbone = await loadBackbone(spec);
    expect(backbone.featureShape).toEqual([8, 8, 8]);
  });

  it("names the valid layers and registry entries in its errors", async () => {
    const spec = resolveBackbone(join(dir, "tiny"), { layer: "nope" }).spec;
    await expect(loadBackbone(spec)).rejects.toThrow(/tiny_conv2/);
    expect(() => resolveBackbone("resnet")).toThrow(/mobilenet_v2_0\.35, darknet_tiny, nsfwjs_mobilenet_v2/);
  });
});
