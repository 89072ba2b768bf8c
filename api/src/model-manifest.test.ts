import { describe, expect, it } from "vitest";
import { checkModelJson } from "./model-manifest.js";

const files = [
  { name: "model.json", sha256: "0".repeat(64), size: 10 },
  { name: "group1-shard1of2.bin", sha256: "1".repeat(64), size: 64 },
  { name: "group1-shard2of2.bin", sha256: "2".repeat(64), size: 16 },
];
const card = { files, modelFile: "model.json" };

function modelJson(weights: unknown[], paths = ["group1-shard1of2.bin", "group1-shard2of2.bin"]): string {
  return JSON.stringify({ modelTopology: { class_name: "Sequential" }, weightsManifest: [{ paths, weights }] });
}

describe("checkModelJson", () => {
  it("accepts shards that hold exactly the manifest's weights, with float16 and uint8 quantization", () => {
    const weights = [
      { name: "k", shape: [4, 8], dtype: "float32", quantization: { dtype: "float16" } }, // 64 bytes
      { name: "b", shape: [8], dtype: "float32", quantization: { dtype: "uint8", scale: 0.1, min: 0 } }, // 8
      { name: "c", shape: [2], dtype: "float32" }, // 8
    ];
    expect(checkModelJson(modelJson(weights), card)).toEqual([]);
  });

  it("reports byte counts that do not match the shards", () => {
    const weights = [{ name: "k", shape: [4, 8], dtype: "float32" }];
    expect(checkModelJson(modelJson(weights), card)).toEqual([
      "weightsManifest[0] describes 128 bytes of weights but its shards hold 80",
    ]);
  });

  it("reports paths that are not weight files of the card", () => {
    const problems = checkModelJson(
      modelJson([], ["model.json", "../x.bin", "group1-shard1of2.bin", "group1-shard1of2.bin"]),
      card,
    );
    expect(problems).toEqual([
      'weightsManifest[0] names "model.json", which is not a weight file of the card',
      'weightsManifest[0] names "../x.bin", which is not a weight file of the card',
      "weightsManifest names group1-shard1of2.bin twice",
    ]);
  });

  it("reports a file that is not a layers model", () => {
    expect(checkModelJson("{", card)).toEqual(["model.json is not valid JSON"]);
    expect(checkModelJson(JSON.stringify({ weightsManifest: [] }), card)[0]).toContain("modelTopology");
  });
});
