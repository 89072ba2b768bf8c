import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, tf } from "../backend/index.js";
import { Rng } from "../data/rng.js";
import { buildHead, forward } from "../train/head.js";
import { createLoss, DEFAULT_LOSS } from "../train/losses.js";
import { type BatchSource, cachedBatches } from "./batches.js";
import { curriculumSchedule, fullSchedule } from "./curriculum.js";
import { kdLoss, kdTerms, mixedKdLoss, subsetsByCount } from "./kd-loss.js";
import { trainTeachers } from "./teachers.js";
import { type TrainerOptions, trainClassifier } from "./trainer.js";

beforeAll(async () => {
  await initBackend("wasm");
});

describe("multi-teacher KD loss", () => {
  // Two samples, 4 classes; sample 0's teacher knows classes {0, 1}, sample 1's knows {2, 3}.
  const mask = () =>
    tf.tensor2d([
      [1, 1, 0, 0],
      [0, 0, 1, 1],
    ]);

  it("is 0 when the student equals its teachers on their classes", () => {
    const teacher = tf.tensor2d([
      [2, -1, 0, 0],
      [0, 0, 0.5, 3],
    ]);
    // Same logits on each teacher's classes up to a per-row shift; anything outside them is ignored.
    const student = tf.tensor2d([
      [7, 4, -9, 30],
      [12, -5, 1.5, 4],
    ]);
    const loss = kdLoss(student, teacher, mask(), 4, 1).dataSync()[0] as number;
    expect(Math.abs(loss)).toBeLessThan(1e-5);
  });

  it("is positive, and scales with α, when the student differs", () => {
    const teacher = tf.tensor2d([
      [2, -1, 0, 0],
      [0, 0, 0.5, 3],
    ]);
    const student = tf.tensor2d([
      [-1, 2, 0, 0],
      [0, 0, 3, 0.5],
    ]);
    const one = kdLoss(student, teacher, mask(), 2, 1).dataSync()[0] as number;
    const half = kdLoss(student, teacher, mask(), 2, 0.5).dataSync()[0] as number;
    expect(one).toBeGreaterThan(0.1);
    expect(half).toBeCloseTo(one / 2, 5);
    // T² · KL by hand for sample 0 at T = 2.
    const softmax = (a: number, b: number) => [
      Math.exp(a) / (Math.exp(a) + Math.exp(b)),
      Math.exp(b) / (Math.exp(a) + Math.exp(b)),
    ];
    const [p0 = 0, p1 = 0] = softmax(1, -0.5);
    const [q0 = 0, q1 = 0] = softmax(-0.5, 1);
    const expected0 = 4 * (p0 * Math.log(p0 / q0) + p1 * Math.log(p1 / q1));
    expect(kdTerms(student, teacher, mask(), 2).dataSync()[0]).toBeCloseTo(expected0, 4);
  });

  it("weighs a mixed row's own and partner's teacher terms by λ", () => {
    const student = tf.tensor2d([
      [-1, 2, 0, 0],
      [0, 0, 3, 0.5],
    ]);
    const own = {
      teacherLogits: tf.tensor2d([
        [2, -1, 0, 0],
        [0, 0, 0.5, 3],
      ]),
      classMask: mask(),
    };
    const partner = {
      teacherLogits: tf.tensor2d([
        [0, 0, 1, -2],
        [4, 1, 0, 0],
      ]),
      classMask: tf.tensor2d([
        [0, 0, 1, 1],
        [1, 1, 0, 0],
      ]),
    };
    const mixed = (lambda: number[]) =>
      mixedKdLoss(student, own, partner, tf.tensor1d(lambda), 2, 1).dataSync()[0] as number;
    const ownOnly = kdLoss(student, own.teacherLogits, own.classMask, 2, 1).dataSync()[0] as number;
    const partnerOnly = kdLoss(student, partner.teacherLogits, partner.classMask, 2, 1).dataSync()[0] as number;
    expect(mixed([1, 1])).toBeCloseTo(ownOnly, 5);
    expect(mixed([0, 0])).toBeCloseTo(partnerOnly, 5);
    expect(mixed([0.25, 0.25])).toBeCloseTo(0.25 * ownOnly + 0.75 * partnerOnly, 5);
  });
});

describe("class subsets by count", () => {
  it("splits skin8's training counts into many / medium / few", () => {
    const counts = [422, 1277, 345, 152, 1115, 21, 132, 86];
    expect(subsetsByCount(counts, { manyAt: 400, fewBelow: 100 })).toEqual([
      { name: "many", classes: [0, 1, 4] },
      { name: "medium", classes: [2, 3, 6] },
      { name: "few", classes: [5, 7] },
    ]);
    expect(() => subsetsByCount(counts, { manyAt: 10, fewBelow: 20 })).toThrow(/manyAt/);
  });
});

describe("curriculum", () => {
  it("starts class-balanced and adds the rest over the ramp", () => {
    const labels = [...new Array(50).fill(0), ...new Array(10).fill(1), ...new Array(3).fill(2)];
    const schedule = curriculumSchedule(labels, 3, { balancedPerClass: 3, rampEpochs: 4 }, new Rng(1));
    const perClass = (idx: number[]) => [0, 1, 2].map((c) => idx.filter((i) => labels[i] === c).length);
    expect(perClass(schedule(0))).toEqual([3, 3, 3]);
    const sizes = [0, 1, 2, 3, 4, 5].map((e) => schedule(e).length);
    expect(sizes[0]).toBe(9);
    expect(sizes[4]).toBe(labels.length);
    expect(sizes[5]).toBe(labels.length);
    for (let e = 1; e < sizes.length; e++) expect(sizes[e]).toBeGreaterThanOrEqual(sizes[e - 1] as number);
    expect(new Set(schedule(4)).size).toBe(labels.length);
  });
});

describe("trainClassifier", () => {
  /** Four 2-d rows of two classes, for a head built by the test. */
  const fourRows = (head: ReturnType<typeof buildHead>) =>
    ({
      forward: (x, training) => forward(head, x, training),
      source: cachedBatches(new Map([["id", Float32Array.from([1, 0, 0, 1, 1, 0, 0, 1])]]), [2]),
      labels: Int32Array.from([0, 1, 0, 1]),
      numClasses: 2,
      loss: createLoss(DEFAULT_LOSS, [2, 2]),
      schedule: fullSchedule(4),
      batchSize: 2,
      learningRate: 0.1,
      rng: new Rng(1),
    }) satisfies Partial<TrainerOptions>;

  it("ends early when stop says so", () => {
    const head = buildHead(2, 2, { hidden: [], dropout: 0 }, 1);
    const epochs: number[] = [];
    trainClassifier({
      ...fourRows(head),
      epochs: 10,
      onEpoch: (epoch) => epochs.push(epoch),
      stop: (epoch) => epoch === 2,
    });
    expect(epochs).toEqual([0, 1, 2]);
    head.dispose();
  });

  it("trains mixed rows towards their partner's label by 1 − λ", () => {
    // Every row is entirely its partner (λ = 0), so the head must learn the swapped labels.
    const rows = Float32Array.from([1, 0, 0, 1, 1, 0, 0, 1]);
    const swapped: BatchSource = {
      batch(indices) {
        const x = tf.tensor2d(
          indices.flatMap((i) => Array.from(rows.subarray(i * 2, i * 2 + 2))),
          [indices.length, 2],
        );
        const partner = Int32Array.from(indices, (_, j) => (j + 1) % indices.length);
        // Each row's own features stay; only the target moves to the partner, whose label differs.
        return { x, views: indices.map(() => "id"), mix: { partner, lambda: new Float32Array(indices.length) } };
      },
    };
    const head = buildHead(2, 2, { hidden: [], dropout: 0 }, 1);
    trainClassifier({
      ...fourRows(head),
      source: swapped,
      schedule: () => [0, 1],
      epochs: 60,
    });
    const predicted = tf.argMax(forward(head, tf.tensor2d([1, 0, 0, 1], [2, 2]), false), 1).dataSync();
    expect(Array.from(predicted)).toEqual([1, 0]);
    head.dispose();
  });

  it("trains the `slower` variables at their own learning rate", () => {
    const head = buildHead(2, 2, { hidden: [3], dropout: 0 }, 1);
    const [hidden, output] = head.layers.filter((layer) => layer.trainableWeights.length > 0);
    const frozenByScale = (hidden?.trainableWeights ?? []).map((w) => w.read() as tf.Variable);
    const before = frozenByScale.map((v) => Array.from(v.dataSync()));
    const outputBefore = Array.from(output?.getWeights()[0]?.dataSync() ?? []);
    trainClassifier({
      ...fourRows(head),
      epochs: 3,
      slower: { variables: frozenByScale, scale: 0 },
    });
    expect(frozenByScale.map((v) => Array.from(v.dataSync()))).toEqual(before);
    expect(Array.from(output?.getWeights()[0]?.dataSync() ?? [])).not.toEqual(outputBefore);
    head.dispose();
  });
});

describe("cachedBatches", () => {
  const views = new Map([
    ["id", Float32Array.from([0, 1, 2, 3, 4, 5])],
    ["h", Float32Array.from([10, 11, 12, 13, 14, 15])],
  ] as const);

  it("takes each sample's row from one randomly drawn cached view", () => {
    const { x, views: picked } = cachedBatches(views, [2]).batch([2, 0], new Rng(3));
    expect(x.shape).toEqual([2, 2]);
    const rows = x.arraySync() as number[][];
    for (const [j, i] of [2, 0].entries()) {
      const offset = picked[j] === "h" ? 10 : 0;
      expect(rows[j]).toEqual([offset + 2 * i, offset + 2 * i + 1]);
    }
    x.dispose();
  });

  it("draws the views from the rng, so a seed replays them", () => {
    const source = cachedBatches(views, [2]);
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 8 }, () => {
        const batch = source.batch([0, 1, 2], rng);
        batch.x.dispose();
        return batch.views.join();
      });
    };
    expect(draw(9)).toEqual(draw(9));
    expect(new Set(draw(9).join().split(","))).toEqual(new Set(["id", "h"]));
  });

  it("refuses an empty cache", () => {
    expect(() => cachedBatches(new Map(), [2])).toThrow(/at least one cached view/);
  });
});

describe("trainTeachers", () => {
  it("gives a one-class subset no teacher: its images keep mask 0 and learn from their labels alone", () => {
    // 3 classes, 4 images each, 2 features that tell them apart.
    const labels = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    const inputs = Float32Array.from([...labels].flatMap((label, i) => [label, (i % 4) * 0.1]));
    const logged: string[] = [];
    const { kd, reports } = trainTeachers({
      subsets: [
        { name: "many", classes: [0, 1] },
        { name: "few", classes: [2] },
      ],
      classIds: ["a", "b", "c"],
      train: { inputs: new Map([["id", inputs]]), labels },
      val: { inputs, labels },
      width: 2,
      spec: { head: { hidden: [], dropout: 0 }, loss: DEFAULT_LOSS, epochs: 2, batchSize: 4, learningRate: 0.01 },
      seed: 1,
      temperature: 4,
      alpha: 1,
      log: (line) => logged.push(line),
    });
    expect(reports.map((report) => report.subset)).toEqual(["many"]);
    expect(logged).toContain("teacher few: none, the subset holds one class (c)");
    const maskRow = (i: number) => Array.from(kd.mask.subarray(i * 3, i * 3 + 3));
    expect(maskRow(0)).toEqual([1, 1, 0]);
    expect(maskRow(8)).toEqual([0, 0, 0]);
  });
});
