import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend/index.js";
import { Rng } from "../data/rng.js";
import { DEFAULT_STUDENT_CONFIG, type StudentConfig } from "./config.js";
import type { SplitData } from "./data.js";
import { holdOutClass, keepClasses, runOodProxy, separation } from "./ood-proxy.js";
import { oodProxyMarkdown } from "./ood-proxy-report.js";

beforeAll(async () => {
  await initBackend("wasm");
});

const WIDTH = 6;
const NOISE = 1;
const CLASS_IDS = ["a", "b", "c", "held"];

/**
 * Gaussian clusters, one per class, classes interleaved; `centers[c]` draws the mean of one of class
 * c's images and `perClass[c]` says how many it has.
 */
function clusters(centers: ((rng: Rng) => number[])[], perClass: number | number[], rng: Rng): SplitData {
  const counts = centers.map((_, c) => (typeof perClass === "number" ? perClass : (perClass[c] ?? 0)));
  const order: number[] = [];
  for (let round = 0; order.length < counts.reduce((a, b) => a + b, 0); round++)
    for (const [c, count] of counts.entries()) if (round < count) order.push(c);
  const n = order.length;
  const data = new Float32Array(n * WIDTH);
  const labels = Int32Array.from(order);
  for (let i = 0; i < n; i++) {
    const center = (centers[labels[i] as number] as (rng: Rng) => number[])(rng);
    for (let d = 0; d < WIDTH; d++) data[i * WIDTH + d] = (center[d] ?? 0) + NOISE * rng.normal();
  }
  const variants = new Map([["id" as const, data]]);
  return {
    images: Array.from(labels, (label, i) => ({
      id: `${i}`,
      path: `${CLASS_IDS[label]}/${i}.jpg`,
      label: CLASS_IDS[label] as string,
      labelIndex: label,
    })),
    labels,
    student: variants,
    studentWidth: WIDTH,
    teacher: variants,
    teacherWidth: WIDTH,
  };
}

const config: StudentConfig = {
  ...DEFAULT_STUDENT_CONFIG,
  train: "generated",
  val: "generated",
  out: "",
  // The generated features have no flipped variants.
  testTimeFlips: ["id"],
  teacherBackbones: [],
  subsets: { manyAt: 100, fewBelow: 50 },
  teacher: {
    ...DEFAULT_STUDENT_CONFIG.teacher,
    head: { hidden: [16], dropout: 0 },
    epochs: 20,
    learningRate: 1e-2,
    features: "student",
  },
  curriculum: { balancedPerClass: 20, rampEpochs: 3 },
  head: { hidden: [16], dropout: 0.1 },
  epochs: 20,
  batchSize: 32,
  learningRate: 1e-2,
};

const known = [
  [3, 0, 0, 0, 0, 0],
  [0, 3, 0, 0, 0, 0],
  [0, 0, 3, 0, 0, 0],
].map((center) => () => center);
/** Equidistant from the three known classes. */
const between = () => [1, 1, 1, 0, 0, 0];
/** Each image drawn like an image of a random known class: the in set's own distribution. */
const lookalike = (rng: Rng) => (known[rng.int(known.length)] as () => number[])();

function proxy(held: (rng: Rng) => number[], seed: number) {
  const centers = [...known, held];
  const rng = new Rng(seed);
  const train = clusters(centers, 60, rng);
  const val = clusters(centers, 30, rng);
  return runOodProxy({ config, train, val, classIds: CLASS_IDS, heldOut: [3] });
}

describe("leave-one-class-out OOD proxy", () => {
  it("keeps the other classes' rows and relabels them in order", () => {
    const split = clusters([...known, between], 2, new Rng(1));
    const kept = keepClasses(split, [0, 2]);
    expect(Array.from(kept.labels)).toEqual([0, 1, 0, 1]);
    expect(kept.images.map((img) => img.label)).toEqual(["a", "c", "a", "c"]);
    const row = (s: SplitData, i: number) =>
      Array.from((s.student.get("id") as Float32Array).subarray(i * 6, i * 6 + 6));
    expect(row(kept, 1)).toEqual(row(split, 2));
    expect(row(kept, 2)).toEqual(row(split, 4));
    expect(kept.teacher).toBe(kept.student);
  });

  it("sets the threshold on the in set and counts unsure rates on both sides", () => {
    // Two classes at T = 1: in images are sure (margin 4 → maxProb score ≈ 0.018), out images unsure.
    const inLogits = Float32Array.from([4, 0, 0, 4, 4, 0, 0, 4]);
    const outLogits = Float32Array.from([0.1, 0, 0, 0.2]);
    const result = separation(inLogits, outLogits, 2, 1, "maxProb", 0.75);
    expect(result.auroc).toBe(1);
    expect(result.unsureRateIn).toBe(0);
    expect(result.unsureRateOut).toBe(1);
    expect(result.threshold).toBeCloseTo(1 - 1 / (1 + Math.exp(-4)), 6);
  });

  it("gives a high AUROC when the held-out class sits between the known ones", () => {
    const result = proxy(between, 11);
    const [fold] = result.folds;
    expect(fold?.heldOut).toBe("held");
    expect(fold?.outSupport).toEqual({ train: 60, val: 30 });
    expect(fold?.inSupport).toBe(90);
    expect(fold?.inAccuracy).toBeGreaterThan(0.85);
    for (const score of ["maxProb", "margin", "energy"] as const) {
      expect(fold?.scores[score].auroc).toBeGreaterThan(0.8);
      // The threshold answers 85% of the in images; most out images fall above it.
      expect(fold?.scores[score].unsureRateIn).toBeLessThanOrEqual(0.15);
      expect(fold?.scores[score].unsureRateOut).toBeGreaterThan(0.6);
    }
    // The held-out cluster lies away from every known cluster in feature space too.
    expect(fold?.featureAuroc.nearestCentroid).toBeGreaterThan(0.8);
    expect(fold?.featureAuroc.nearestNeighbour).toBeGreaterThan(0.6);
    expect(result.featureSummary.nearestCentroid.meanAuroc).toBe(fold?.featureAuroc.nearestCentroid);
    expect(result.summary.maxProb.minAuroc).toBe(fold?.scores.maxProb.auroc);
    expect(result.summary.maxProb.minClass).toBe("held");
    const markdown = oodProxyMarkdown(result, "maxProb");
    expect(markdown).toContain("| held | 90 | 90 |");
    expect(markdown).toContain("**maxProb** (shipped)");
    expect(markdown).toContain("| held out | nearestNeighbour | nearestCentroid |");
  }, 30_000);

  it("gives no teacher to a subset the held-out class leaves with one class", () => {
    // Training counts 60, 60, 40, 40: with fewBelow 50 the last two form the "few" subset.
    const rng = new Rng(13);
    const centers = [...known, between];
    const train = clusters(centers, [60, 60, 40, 40], rng);
    const val = clusters(centers, 10, rng);
    const fold = holdOutClass({ config: { ...config, epochs: 4 }, train, val, classIds: CLASS_IDS, heldOut: 3 });
    expect(fold.subsets).toEqual([
      { name: "medium", classes: ["a", "b"] },
      { name: "few", classes: ["c"] },
    ]);
    expect(fold.teachers).toEqual(["medium"]);
    expect(fold.outSupport).toEqual({ train: 40, val: 10 });
  }, 30_000);

  it("gives AUROC near 0.5 when the held-out class looks like a known one", () => {
    const result = proxy(lookalike, 12);
    for (const score of ["maxProb", "margin", "energy"] as const) {
      expect(result.summary[score].meanAuroc).toBeGreaterThan(0.35);
      expect(result.summary[score].meanAuroc).toBeLessThan(0.65);
    }
    for (const name of ["nearestNeighbour", "nearestCentroid"] as const) {
      expect(result.featureSummary[name].meanAuroc).toBeGreaterThan(0.35);
      expect(result.featureSummary[name].meanAuroc).toBeLessThan(0.65);
    }
  }, 30_000);
});
