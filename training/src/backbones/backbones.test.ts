import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend/index.js";
import { writeTinyBackbone } from "../testing/fixtures.js";
import { embedBatch, loadBackbone } from "./backbone.js";
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
