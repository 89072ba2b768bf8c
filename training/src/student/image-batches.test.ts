import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_PREPROCESS, preprocess } from "@pifu/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUGMENT_PRESETS } from "../augment/index.js";
import { initBackend, tf } from "../backend/index.js";
import { DecodeError, decodeImage } from "../data/index.js";
import { Rng } from "../data/rng.js";
import { splitModel } from "../finetune/index.js";
import { registerWasmGradientKernels } from "../kernels/index.js";
import { backboneShapedNetwork, writeSyntheticSet } from "../testing/fixtures.js";
import { buildHead } from "../train/head.js";
import { DEFAULT_STUDENT_CONFIG, type StudentConfig } from "./config.js";
import { checkFineTune, fineTuneInputs } from "./finetune-inputs.js";
import { flipBatch } from "./flips.js";
import {
  augmentedImageBatches,
  decodeAll,
  flipActivations,
  frozenTrunk,
  INPUT_CUT,
  mixRows,
  NO_MIX,
  trainableTail,
} from "./image-batches.js";
import { fineTuneTail } from "./train-student.js";

const SIZE = 16;
const spec = { ...DEFAULT_PREPROCESS, inputSize: SIZE };
let dir: string;
let photos: string[];

const network = () => backboneShapedNetwork(SIZE, 6, 8);

beforeAll(async () => {
  await initBackend("wasm");
  registerWasmGradientKernels();
  dir = await mkdtemp(join(tmpdir(), "pifu-image-batches-"));
  await writeSyntheticSet(dir, { classes: ["acne_rosacea", "eczema"], perClass: [3, 3], size: 40 });
  photos = [];
  for (const cls of ["acne_rosacea", "eczema"])
    for (const name of (await readdir(join(dir, cls))).sort()) photos.push(join(dir, cls, name));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const labels = () => Int32Array.from(photos, (path) => (path.includes("eczema") ? 1 : 0));

describe("frozenTrunk", () => {
  it("computes the network's activation at the cut", async () => {
    const net = network();
    const trunk = await frozenTrunk(net, "stem_relu", SIZE);
    expect(trunk.shape).toEqual([8, 8, 6]);
    const x = tf.randomUniform([2, SIZE, SIZE, 3], -1, 1, "float32", 3);
    const expected = (splitModel(net, "stem_relu").trunk.predict(x) as tf.Tensor).dataSync();
    const actual = trunk.predict(x as tf.Tensor4D).dataSync();
    for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i] as number, 5);
  });

  it('is the identity at the "input" cut', async () => {
    const trunk = await frozenTrunk(network(), INPUT_CUT, SIZE);
    expect(trunk.shape).toEqual([SIZE, SIZE, 3]);
    const x = tf.randomUniform([1, SIZE, SIZE, 3], -1, 1, "float32", 4) as tf.Tensor4D;
    expect(Array.from(trunk.predict(x).dataSync())).toEqual(Array.from(x.dataSync()));
  });
});

describe("decodeAll", () => {
  it("shrinks photos to the asked shorter side and never enlarges them", async () => {
    const [small] = await decodeAll(photos.slice(0, 1), { maxShortSide: 20 });
    expect([small?.width, small?.height]).toEqual([20, 20]);
    const [same] = await decodeAll(photos.slice(0, 1), { maxShortSide: 400 });
    expect([same?.width, same?.height]).toEqual([40, 40]);
  });

  it("names the photo that fails to decode", async () => {
    const broken = join(dir, "broken.jpg");
    await writeFile(broken, "not a jpeg");
    const error = await decodeAll([photos[0] as string, broken]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).path).toBe(broken);
  });
});

describe("augmentedImageBatches", () => {
  it("draws a fresh augmentation per step, reproducibly from the rng", async () => {
    const images = await decodeAll(photos);
    const trunk = await frozenTrunk(network(), "stem_relu", SIZE);
    const source = augmentedImageBatches({ images, augment: AUGMENT_PRESETS.strong ?? {}, spec, trunk });
    const rng = new Rng(5);
    const first = source.batch([0, 3], rng);
    const second = source.batch([0, 3], rng);
    const replay = source.batch([0, 3], new Rng(5));
    expect(first.x.shape).toEqual([2, 8, 8, 6]);
    expect(first.views).toEqual(["aug0", "aug0"]);
    expect(Array.from(second.x.dataSync())).not.toEqual(Array.from(first.x.dataSync()));
    expect(Array.from(replay.x.dataSync())).toEqual(Array.from(first.x.dataSync()));
    tf.dispose([first.x, second.x, replay.x]);
  });

  it('without augmentation at the "input" cut, is exactly the preprocessed photo', async () => {
    const images = await decodeAll(photos);
    const trunk = await frozenTrunk(network(), INPUT_CUT, SIZE);
    const { x } = augmentedImageBatches({ images, augment: AUGMENT_PRESETS.none ?? {}, spec, trunk }).batch(
      [4],
      new Rng(1),
    );
    expect(Array.from(x.dataSync())).toEqual(Array.from(preprocess(images[4] as never, spec)));
    x.dispose();
  });
});

describe("mixRows", () => {
  const rows = [0, 1, 2, 3].map((v) => new Float32Array(SIZE * SIZE * 3).fill(v));

  it("mixes every row with another row's unmixed pixels by its λ (mixup)", () => {
    const { rows: mixed, mix } = mixRows(rows, SIZE, { mode: "mixup", alpha: 1, probability: 1 }, new Rng(3));
    expect(mix).toBeDefined();
    for (const [j, row] of mixed.entries()) {
      const partner = mix?.partner[j] as number;
      const lambda = mix?.lambda[j] as number;
      expect(partner).not.toBe(j);
      expect(lambda).toBeGreaterThanOrEqual(0);
      expect(lambda).toBeLessThanOrEqual(1);
      expect(row[0]).toBeCloseTo(lambda * j + (1 - lambda) * partner, 5);
    }
    expect(Array.from(rows[0] as Float32Array).every((v) => v === 0)).toBe(true);
  });

  it("pastes a box of the partner whose area share is 1 − λ (CutMix)", () => {
    const { rows: mixed, mix } = mixRows(rows, SIZE, { mode: "cutmix", alpha: 1, probability: 1 }, new Rng(8));
    for (const [j, row] of mixed.entries()) {
      const fromPartner = Array.from(row).filter((v) => v === mix?.partner[j]).length / row.length;
      expect(fromPartner).toBeCloseTo(1 - (mix?.lambda[j] as number), 5);
    }
  });

  it("leaves rows alone without mixing, at probability 0, or in a batch of one", () => {
    for (const [batch, mix] of [
      [rows, NO_MIX],
      [rows, { mode: "cutmix", alpha: 1, probability: 0 }],
      [rows.slice(0, 1), { mode: "mixup", alpha: 1, probability: 1 }],
    ] as const) {
      const out = mixRows(batch, SIZE, mix, new Rng(1));
      expect(out.mix).toBeUndefined();
      expect(out.rows).toEqual([...batch]);
    }
  });

  it("mixes about the asked share of rows", () => {
    const many = Array.from({ length: 400 }, (_, v) => new Float32Array(SIZE * SIZE * 3).fill(v));
    const { mix } = mixRows(many, SIZE, { mode: "mixup", alpha: 1, probability: 0.3 }, new Rng(2));
    const mixedShare = Array.from(mix?.partner ?? [], (p, j) => p !== j).filter(Boolean).length / many.length;
    expect(mixedShare).toBeGreaterThan(0.22);
    expect(mixedShare).toBeLessThan(0.38);
  });
});

describe("augmentedImageBatches with mixing", () => {
  it('at the "input" cut without augmentation, hands the trainer the mixed photos and their partners', async () => {
    const images = await decodeAll(photos);
    const trunk = await frozenTrunk(network(), INPUT_CUT, SIZE);
    const mix = { mode: "mixup", alpha: 1, probability: 1 } as const;
    const source = augmentedImageBatches({ images, augment: AUGMENT_PRESETS.none ?? {}, spec, trunk, mix });
    const batch = source.batch([0, 4], new Rng(6));
    const plain = [0, 4].map((i) => preprocess(images[i] as never, spec));
    const expected = mixRows(plain, SIZE, mix, new Rng(6));
    expect(Array.from(batch.mix?.partner ?? [])).toEqual([1, 0]);
    expect(Array.from(batch.mix?.lambda ?? [])).toEqual(Array.from(expected.mix?.lambda ?? []));
    const x = batch.x.dataSync();
    const row = SIZE * SIZE * 3;
    for (const [j, pixels] of expected.rows.entries())
      for (let k = 0; k < row; k += 31) expect(x[j * row + k]).toBeCloseTo(pixels[k] as number, 5);
    batch.x.dispose();
  });
});

describe("flipActivations", () => {
  it("holds the trunk's activation of each plain photo in each flip, in photo order", async () => {
    const trunk = await frozenTrunk(network(), "stem_relu", SIZE);
    const rows = await flipActivations(photos, spec, trunk, ["id", "h"], 4);
    const rowSize = 8 * 8 * 6;
    expect([...rows.keys()]).toEqual(["id", "h"]);
    for (const i of [0, 5]) {
      const pixels = tf.tensor4d(preprocess(await decodeImage(photos[i] as string), spec), [1, SIZE, SIZE, 3]);
      for (const flip of ["id", "h"] as const) {
        const expected = trunk.predict(flipBatch(pixels, flip)).dataSync();
        const actual = (rows.get(flip) as Float32Array).subarray(i * rowSize, (i + 1) * rowSize);
        for (let j = 0; j < rowSize; j += 17) expect(actual[j]).toBeCloseTo(expected[j] as number, 5);
      }
    }
  });
});

describe("fine-tuning on fresh draws", () => {
  const config = (cut: string): StudentConfig => ({
    ...DEFAULT_STUDENT_CONFIG,
    train: dir,
    val: dir,
    out: dir,
    inputSize: SIZE,
    augmented: { views: 0, preset: "strong" },
    testTimeFlips: ["id", "h"],
    finetune: {
      epochs: 2,
      learningRate: 0.05,
      cut,
      patience: 2,
      backboneLrScale: 1,
      cropSize: 0,
      augmentedViews: 0,
      keep: "last",
      averageLast: 1,
      images: true,
      batchSize: 4,
      mix: { mode: "cutmix", alpha: 1, probability: 0.5 },
    },
  });

  for (const [cut, trained] of [
    ["stem_relu", "Conv_1"],
    [INPUT_CUT, "stem"],
  ] as const) {
    it(`trains the layers after the "${cut}" cut and scores val on every flip`, async () => {
      const net = network();
      const c = config(cut);
      const finetune = c.finetune as NonNullable<StudentConfig["finetune"]>;
      const inputs = await fineTuneInputs(c, finetune, net, { train: photos, val: photos });
      const tail = trainableTail(net, cut);
      const head = buildHead(8, 2, { hidden: [], dropout: 0 }, 1);
      const before = Array.from((net.getLayer(trained).getWeights()[0] as tf.Tensor).dataSync());
      const scores: number[] = [];
      const valLogits = fineTuneTail({
        tail,
        head,
        trainable: [trained],
        train: { source: inputs.source, labels: labels() },
        shape: inputs.shape,
        valInputs: inputs.valInputs,
        select: (logits) => {
          scores.push(logits[0] as number);
          return { score: 0 };
        },
        numClasses: 2,
        config: { ...c, loss: { ...c.loss, weighting: "none" } },
        kd: undefined,
        epochs: 2,
        learningRate: 0.05,
        backboneLrScale: 1,
        patience: 2,
        keep: "last",
        batchSize: finetune.batchSize,
      });
      expect(valLogits).toHaveLength(photos.length * 2);
      expect(scores).toHaveLength(3);
      expect(Array.from((net.getLayer(trained).getWeights()[0] as tf.Tensor).dataSync())).not.toEqual(before);
      expect(inputs.description).toContain("fresh");
      expect(inputs.description).toContain("cutmix");
    });
  }

  it("refuses settings that cannot work together", () => {
    const images = config(INPUT_CUT).finetune as NonNullable<StudentConfig["finetune"]>;
    expect(() => checkFineTune({ ...images, images: false })).toThrow(/needs --finetune-images/);
    expect(() => checkFineTune({ ...images, cut: "stem_relu", augmentedViews: 4 })).toThrow(/leave it out/);
    expect(() => checkFineTune({ ...images, cut: "stem_relu" })).not.toThrow();
    expect(() => checkFineTune({ ...images, cut: "stem_relu", images: false })).toThrow(/--finetune-mix .*needs/);
    const mix = images.mix;
    expect(() => checkFineTune({ ...images, mix: { ...mix, probability: 1.5 } })).toThrow(RangeError);
    expect(() => checkFineTune({ ...images, mix: { ...mix, alpha: 0 } })).toThrow(RangeError);
    expect(() => checkFineTune({ ...images, keep: "last", averageLast: images.epochs })).not.toThrow();
    expect(() => checkFineTune({ ...images, keep: "best", averageLast: 2 })).toThrow(/needs --finetune-keep last/);
    expect(() => checkFineTune({ ...images, keep: "last", averageLast: images.epochs + 1 })).toThrow(RangeError);
    expect(() => checkFineTune({ ...images, keep: "last", averageLast: 0 })).toThrow(RangeError);
    expect(() => checkFineTune(null)).not.toThrow();
  });
});
