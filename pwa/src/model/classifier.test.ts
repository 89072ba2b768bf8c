import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ModelCard } from "@pifu/core";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFixtureModel } from "../../testing/fixture-model.js";
import { ModelFormatError, modelArtifacts } from "./artifacts.js";
import { loadClassifier } from "./classifier.js";
import { occlusionMap } from "./heatmap.js";
import { ReleasedError } from "./lease.js";

let dir: string;

async function readFolder(path: string): Promise<{ card: ModelCard; files: Map<string, Uint8Array> }> {
  const card = JSON.parse(await readFile(join(path, "model-card.json"), "utf8")) as ModelCard;
  const files = new Map<string, Uint8Array>();
  for (const { name } of card.files) files.set(name, new Uint8Array(await readFile(join(path, name))));
  return { card, files };
}

function randomInput(card: ModelCard, seed: number): Float32Array {
  const side = card.preprocessing.inputSize;
  return Float32Array.from({ length: side * side * 3 }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.9);
}

beforeAll(async () => {
  await tf.setBackend("cpu");
  dir = await mkdtemp(join(tmpdir(), "pifu-classifier-"));
  await writeFixtureModel(join(dir, "f16"), { version: "1.0.0", seed: 5, quantization: "float16" });
  await writeFixtureModel(join(dir, "f32"), { version: "1.0.0", seed: 5, quantization: "float32" });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("loadClassifier", () => {
  it("loads a float16 model from memory and matches its float32 twin closely", async () => {
    const half = await readFolder(join(dir, "f16"));
    const full = await readFolder(join(dir, "f32"));
    expect(half.files.get("group1-shard1of1.bin")?.byteLength).toBe(
      (full.files.get("group1-shard1of1.bin")?.byteLength ?? 0) / 2,
    );
    const a = await loadClassifier(half.card, half.files);
    const b = await loadClassifier(full.card, full.files);
    const input = randomInput(half.card, 1);
    const [la, lb] = [await a.logits(input), await b.logits(input)];
    expect(la).toHaveLength(8);
    for (let i = 0; i < 8; i++) expect(la[i]).toBeCloseTo(lb[i] as number, 2);
    a.dispose();
    b.dispose();
  });

  it("releases every tensor: the count is the same before and after 50 calls", async () => {
    const { card, files } = await readFolder(join(dir, "f16"));
    const classifier = await loadClassifier(card, files);
    await classifier.logits(randomInput(card, 0));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) await classifier.logits(randomInput(card, i));
    expect(tf.memory().numTensors).toBe(before);
    const map = await occlusionMap(classifier, randomInput(card, 7), 0, 4);
    expect(map).toHaveLength(16);
    expect(Math.max(...map)).toBeLessThanOrEqual(1);
    expect(map.every((v) => v >= 0)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    classifier.dispose();
  });

  it("rejects a card whose classes or input size do not match the model, before running it", async () => {
    const { card, files } = await readFolder(join(dir, "f16"));
    const wrong = { ...card, classes: card.classes.slice(0, 5) };
    await expect(loadClassifier(wrong, files)).rejects.toThrow(
      /the model outputs \[batch, 8\], the card lists 5 classes/,
    );
    const side = card.preprocessing.inputSize;
    const bigger = { ...card, preprocessing: { ...card.preprocessing, inputSize: side * 2 } };
    await expect(loadClassifier(bigger, files)).rejects.toThrow(
      `the model takes [batch, ${side}, ${side}, 3], the card's preprocessing gives [batch, ${side * 2}, ${side * 2}, 3]`,
    );
  });

  it("names the missing shard and rejects a model.json that is not a layers model", async () => {
    const { card, files } = await readFolder(join(dir, "f16"));
    const noShard = new Map(files);
    noShard.delete("group1-shard1of1.bin");
    expect(() => modelArtifacts(card.modelFile, noShard)).toThrow(/group1-shard1of1.bin/);
    const graph = new Map([["model.json", new TextEncoder().encode('{"format":"graph-model"}')]]);
    expect(() => modelArtifacts("model.json", graph)).toThrow(ModelFormatError);
  });
});

describe("dispose while a check runs", () => {
  it("keeps the model for a heat map already running and frees it when the map ends", async () => {
    const { card, files } = await readFolder(join(dir, "f16"));
    const before = tf.memory().numTensors;
    const classifier = await loadClassifier(card, files);
    const input = randomInput(card, 3);
    const expected = await occlusionMap(classifier, input, 0, 4);
    const running = occlusionMap(classifier, input, 0, 4);
    // The map's first pass has started; its other passes still need the weights.
    classifier.dispose();
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    await expect(running).resolves.toEqual(expected);
    expect(tf.memory().numTensors).toBe(before);
    await expect(classifier.logits(input)).rejects.toThrow(ReleasedError);
    await expect(occlusionMap(classifier, input, 0, 4)).rejects.toThrow(/model 1\.0\.0 was replaced or closed/);
  });

  it("lets work join the check that holds it, and frees the model at once when nothing holds it", async () => {
    const { card, files } = await readFolder(join(dir, "f16"));
    const before = tf.memory().numTensors;
    const classifier = await loadClassifier(card, files);
    const input = randomInput(card, 4);
    const logits = await classifier.hold(async () => {
      classifier.dispose();
      // A check that began before the update still runs its model calls.
      return classifier.logits(input);
    });
    expect(logits).toHaveLength(8);
    expect(tf.memory().numTensors).toBe(before);
    classifier.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
