import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ModelCard, preprocess, type RawImage, softmax } from "@pifu/core";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFixtureModel } from "../testing/fixture-model.js";
import { runCheck } from "./check.js";
import { type Classifier, loadClassifier } from "./model/classifier.js";
import { occlusionMap } from "./model/heatmap.js";

let dir: string;
let card: ModelCard;
let files: Map<string, Uint8Array>;

/** A photo-sized RGBA image (as a canvas gives) with structure that differs under every flip. */
function photo(): RawImage {
  const width = 48;
  const height = 40;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const x = i % width;
    const y = Math.floor(i / width);
    data.set([(x * 5 + y * y) % 256, (y * 9) % 256, x * y > 300 ? 230 : 20, 255], i * 4);
  }
  return { data, width, height, channels: 4 };
}

/** The four-flip card the PWA ships (the fixture with test-time flips and its own temperature). */
function withFlips(base: ModelCard): ModelCard {
  return {
    ...base,
    calibration: { ...base.calibration, temperature: 1.5 },
    testTimeAugmentation: { flips: ["id", "h", "v", "hv"], combine: "mean-logits" },
  };
}

/** The expected probabilities, with the flips done by tfjs rather than by core. */
async function expectedProbabilities(classifier: Classifier, input: Float32Array, temperature: number) {
  const side = classifier.card.preprocessing.inputSize;
  const x = tf.tensor4d(input, [1, side, side, 3]);
  const views = [x, tf.reverse(x, 2), tf.reverse(x, 1), tf.reverse(x, [1, 2])];
  const perView = await Promise.all(views.map(async (v) => classifier.logits((await v.data()) as Float32Array)));
  tf.dispose(views);
  const mean = Array.from({ length: 8 }, (_, c) => perView.reduce((t, l) => t + (l[c] as number), 0) / perView.length);
  return { averaged: softmax(mean, temperature), plain: softmax(perView[0] as Float32Array, temperature) };
}

beforeAll(async () => {
  await tf.setBackend("cpu");
  dir = await mkdtemp(join(tmpdir(), "pifu-check-"));
  card = await writeFixtureModel(dir, { version: "1.0.0", seed: 11, quantization: "float32" });
  files = new Map();
  for (const { name } of card.files) files.set(name, new Uint8Array(await readFile(join(dir, name))));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("runCheck", () => {
  it("averages the logits of the card's flipped views before calibration", async () => {
    const flipped = withFlips(card);
    const classifier = await loadClassifier(flipped, files);
    const result = await runCheck(classifier, photo(), new Blob([]));
    const input = preprocess(photo(), flipped.preprocessing);
    expect(result.input).toEqual(input);
    const { averaged, plain } = await expectedProbabilities(classifier, input, 1.5);
    const got = result.interpretation.probabilities;
    for (let c = 0; c < 8; c++) expect(got[c]).toBeCloseTo(averaged[c] as number, 5);
    // The views really differ, so a runner that ignored them would fail above.
    expect(Math.max(...Array.from(got, (p, c) => Math.abs(p - (plain[c] as number))))).toBeGreaterThan(1e-3);
    classifier.dispose();
  });

  it("runs a card without test-time augmentation once, unflipped", async () => {
    const classifier = await loadClassifier(card, files);
    const result = await runCheck(classifier, photo(), new Blob([]));
    const { plain } = await expectedProbabilities(
      classifier,
      preprocess(photo(), card.preprocessing),
      card.calibration.temperature,
    );
    for (let c = 0; c < 8; c++) expect(result.interpretation.probabilities[c]).toBeCloseTo(plain[c] as number, 6);
    classifier.dispose();
  });
});

describe("occlusionMap", () => {
  it("maps the drop of the probability the result shows, each occluded copy run in the card's views", async () => {
    const flipped = withFlips(card);
    const classifier = await loadClassifier(flipped, files);
    const check = await runCheck(classifier, photo(), new Blob([]));
    const top = check.interpretation.top[0]?.index ?? 0;
    const map = await occlusionMap(classifier, check.input, top, 2);

    const side = flipped.preprocessing.inputSize;
    const half = side / 2;
    const neutral = (flipped.preprocessing.range[0] + flipped.preprocessing.range[1]) / 2;
    const shown = check.interpretation.probabilities[top] as number;
    const averagedDrops: number[] = [];
    const plainDrops: number[] = [];
    const plainShown = (await expectedProbabilities(classifier, check.input, 1.5)).plain[top] as number;
    for (let cell = 0; cell < 4; cell++) {
      const occluded = check.input.slice();
      const [cy, cx] = [Math.floor(cell / 2) * half, (cell % 2) * half];
      for (let y = cy; y < cy + half; y++) occluded.fill(neutral, (y * side + cx) * 3, (y * side + cx + half) * 3);
      const { averaged, plain } = await expectedProbabilities(classifier, occluded, 1.5);
      averagedDrops.push(Math.max(0, shown - (averaged[top] as number)));
      plainDrops.push(Math.max(0, plainShown - (plain[top] as number)));
    }
    const scaled = (drops: number[]) => drops.map((d) => d / Math.max(...drops));
    expect(Math.max(...averagedDrops)).toBeGreaterThan(0);
    const expected = scaled(averagedDrops);
    for (let cell = 0; cell < 4; cell++) expect(map[cell]).toBeCloseTo(expected[cell] as number, 4);
    // The unflipped view alone maps differently here, so a map that ignored the views would fail above.
    const plainMap = scaled(plainDrops);
    expect(Math.max(...plainMap.map((d, cell) => Math.abs(d - (expected[cell] as number))))).toBeGreaterThan(1e-2);
    classifier.dispose();
  });
});
