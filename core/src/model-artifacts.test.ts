import { describe, expect, it } from "vitest";
import {
  joinModelArtifacts,
  ModelFormatError,
  parseLayersModelJson,
  readLayersModelArtifacts,
  weightByteLength,
} from "./model-artifacts.js";

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const modelJson = {
  format: "layers-model",
  generatedBy: "test",
  convertedBy: null,
  modelTopology: { class_name: "Sequential" },
  weightsManifest: [
    {
      paths: ["group1-shard1of2.bin", "group1-shard2of2.bin"],
      weights: [
        { name: "k", shape: [2, 2], dtype: "float32", quantization: { dtype: "float16" } },
        { name: "b", shape: [2], dtype: "float32" },
      ],
    },
    {
      paths: ["group2-shard1of1.bin"],
      weights: [{ name: "c", shape: [3], dtype: "float32", quantization: { dtype: "uint8", scale: 0.5, min: -1 } }],
    },
  ],
};
const shards: Record<string, Uint8Array> = {
  "group1-shard1of2.bin": new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
  "group1-shard2of2.bin": new Uint8Array([11, 12, 13, 14, 15, 16]),
  "group2-shard1of1.bin": new Uint8Array([17, 18, 19]),
};

describe("layers-model artifacts", () => {
  it("concatenates the shards in manifest order, reading them one at a time", async () => {
    const order: string[] = [];
    let reading = 0;
    const artifacts = await readLayersModelArtifacts(encode(modelJson), async (name) => {
      expect(reading).toBe(0);
      reading++;
      order.push(name);
      await new Promise((r) => setTimeout(r, 1));
      reading--;
      return shards[name];
    });
    expect(order).toEqual(["group1-shard1of2.bin", "group1-shard2of2.bin", "group2-shard1of1.bin"]);
    expect([...new Uint8Array(artifacts.weightData)]).toEqual(Array.from({ length: 19 }, (_, i) => i + 1));
    expect(artifacts.weightSpecs.map((w) => w.name)).toEqual(["k", "b", "c"]);
    expect(artifacts.weightSpecs[2]?.quantization).toEqual({ dtype: "uint8", scale: 0.5, min: -1 });
    expect(artifacts.modelTopology).toEqual({ class_name: "Sequential" });
    expect(artifacts.format).toBe("layers-model");
    expect(artifacts.convertedBy).toBeNull();
  });

  it("names a missing shard and the model file", async () => {
    const { "group1-shard2of2.bin": _, ...rest } = shards;
    await expect(
      readLayersModelArtifacts(encode(modelJson), async (name) => rest[name], "m/model.json"),
    ).rejects.toThrow(new ModelFormatError("weight shard group1-shard2of2.bin named in m/model.json is missing"));
    expect(() => joinModelArtifacts(parseLayersModelJson(encode(modelJson)), [])).toThrow(/names 3 weight shards, 0/);
  });

  it("rejects what is not a layers model.json", () => {
    expect(() => parseLayersModelJson(new TextEncoder().encode("{"))).toThrow(/model.json is not JSON/);
    expect(() => parseLayersModelJson(encode({ format: "graph-model" }), "x.json")).toThrow(
      /x.json is not a TensorFlow.js layers model.*modelTopology/,
    );
    const badDtype = {
      ...modelJson,
      weightsManifest: [{ paths: ["a.bin"], weights: [{ name: "k", shape: [1], dtype: "float64" }] }],
    };
    expect(() => parseLayersModelJson(encode(badDtype))).toThrow(ModelFormatError);
  });

  it("gives a weight's byte length from its stored (quantized) dtype", () => {
    expect(weightByteLength({ shape: [4, 8], dtype: "float32" })).toBe(128);
    expect(weightByteLength({ shape: [4, 8], dtype: "float32", quantization: { dtype: "float16" } })).toBe(64);
    expect(weightByteLength({ shape: [4, 8], dtype: "float32", quantization: { dtype: "uint8" } })).toBe(32);
    expect(weightByteLength({ shape: [3], dtype: "bool" })).toBe(3);
    expect(weightByteLength({ shape: [3], dtype: "complex64" })).toBe(24);
    expect(weightByteLength({ shape: [], dtype: "int32" })).toBe(4);
    expect(weightByteLength({ shape: [3], dtype: "string" })).toBeUndefined();
  });
});
