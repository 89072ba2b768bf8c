import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyModelCard } from "@pifu/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend, tf } from "../backend/index.js";
import { exportModelFolder } from "./card.js";
import { folderReader, loadLayersModelFromDir } from "./load.js";
import { float16ErrorBound, quantizeFloat16, quantizeUint8 } from "./quantize.js";
import { testCardFields, tinyClassifier } from "./test-model.js";

let dir: string;
beforeAll(async () => {
  await initBackend("wasm");
  dir = await mkdtemp(join(tmpdir(), "pifu-export-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sampleValues(): Float32Array {
  const values = new Float32Array(2000);
  let s = 7;
  for (let i = 0; i < values.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const u = s / 2147483648;
    // Magnitudes from 1e-7 (float16 subnormals) to 1e3.
    values[i] = (u < 0.5 ? -1 : 1) * 10 ** (-7 + 10 * ((u * 2) % 1));
  }
  values[0] = 0;
  return values;
}

function decode(spec: tf.io.WeightsManifestEntry, bytes: Uint8Array): Float32Array {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const tensor = tf.io.decodeWeights(buffer, [spec])[spec.name] as tf.Tensor;
  const values = tensor.dataSync() as Float32Array;
  tensor.dispose();
  return values;
}

describe("quantization through tfjs' own decodeWeights", () => {
  it("float16 stays within half a unit in the last place", () => {
    const values = sampleValues();
    const half = quantizeFloat16(values);
    const back = decode(
      { name: "w", shape: [values.length], dtype: "float32", quantization: { dtype: "float16" } },
      new Uint8Array(half.buffer),
    );
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      expect(Math.abs((back[i] as number) - v)).toBeLessThanOrEqual(float16ErrorBound(v) * (1 + 1e-6));
    }
  });

  it("uint8 stays within scale / 2 and keeps zero exact", () => {
    const values = sampleValues().map((v) => Math.max(-3, Math.min(5, v)));
    const { bytes, scale, min } = quantizeUint8(values);
    const back = decode(
      { name: "w", shape: [values.length], dtype: "float32", quantization: { dtype: "uint8", scale, min } },
      bytes,
    );
    expect(scale).toBeCloseTo(8 / 255, 6);
    for (let i = 0; i < values.length; i++) {
      expect(Math.abs((back[i] as number) - (values[i] as number))).toBeLessThanOrEqual(scale / 2 + 1e-6);
    }
    expect(back[0]).toBe(0);
  });
});

const cardFields = () => testCardFields(16);

describe("model folder export", () => {
  const input = () => tf.randomUniform([6, 16, 16, 3], -1, 1, "float32", 3);

  it("float32 reloads with identical predictions; float16 and uint8 within tolerance", async () => {
    const model = tinyClassifier(16, 8);
    const x = input();
    const expected = (model.predict(x) as tf.Tensor).dataSync();
    const results: Record<string, Float32Array> = {};
    for (const q of ["float32", "float16", "uint8"] as const) {
      const out = join(dir, q);
      const exported = await exportModelFolder(model, out, await cardFields(), q);
      expect(exported.card.quantization).toBe(q);
      const json = JSON.parse(await readFile(join(out, "model.json"), "utf8"));
      const entry = (suffix: string) =>
        json.weightsManifest[0].weights.find((w: { name: string }) => w.name.endsWith(suffix));
      expect(entry("conv/kernel").quantization?.dtype).toBe(q === "float32" ? undefined : q);
      expect(entry("logits/kernel").quantization?.dtype).toBe(q === "float32" ? undefined : q);
      // Per-channel vectors and depthwise kernels stay float32 in every format.
      for (const kept of ["gamma", "moving_variance", "depthwise_kernel", "logits/bias"])
        expect(entry(kept).quantization, kept).toBeUndefined();
      const reloaded = await loadLayersModelFromDir(out);
      results[q] = (reloaded.predict(x) as tf.Tensor).dataSync() as Float32Array;
    }
    expect(Array.from(results.float32 ?? [])).toEqual(Array.from(expected));
    const scale = Math.max(...Array.from(expected, Math.abs));
    for (let i = 0; i < expected.length; i++) {
      expect(Math.abs((results.float16?.[i] as number) - (expected[i] as number))).toBeLessThan(2e-3 * scale + 1e-4);
      expect(Math.abs((results.uint8?.[i] as number) - (expected[i] as number))).toBeLessThan(0.1 * scale + 1e-3);
    }
    const size16 = (await readFile(join(dir, "float16", "group1-shard1of1.bin"))).byteLength;
    const size32 = (await readFile(join(dir, "float32", "group1-shard1of1.bin"))).byteLength;
    const kernelBytes = model.weights
      .filter((w) => /kernel$/.test(w.originalName) && !/depthwise_kernel$/.test(w.originalName))
      .reduce((n, w) => n + 4 * w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
    expect(size16).toBe(size32 - kernelBytes / 2);
  });

  it("the card verifies, and a changed weight file fails verification by sha256", async () => {
    const model = tinyClassifier(16, 8, 2);
    const out = join(dir, "tamper");
    await exportModelFolder(model, out, await cardFields(), "float16");
    const card = JSON.parse(await readFile(join(out, "model-card.json"), "utf8"));
    const read = folderReader(out);
    await expect(verifyModelCard(card, read)).resolves.toMatchObject({ version: "0.0.1", quantization: "float16" });
    const shard = join(out, "group1-shard1of1.bin");
    const bytes = await readFile(shard);
    bytes[10] = (bytes[10] ?? 0) ^ 0xff;
    await writeFile(shard, bytes);
    await expect(verifyModelCard(card, read)).rejects.toThrow(
      /group1-shard1of1\.bin has sha256 [0-9a-f]{64}, the card says/,
    );
  });
});
