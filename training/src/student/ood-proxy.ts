/**
 * Leave-one-class-out proxy for the unsure score's AUROC against "other conditions". For each held-out
 * class c, a student head is trained exactly as the shipped configuration trains one (per-subset
 * teachers retrained without c, curriculum, loss, epochs, seed) on the train images of the other
 * classes; its temperature is fitted on their val images; then each unsure score is asked to tell
 * those val images ("in") from every image of c, train and val ("out": the fold never saw any).
 */

import {
  FEATURE_SCORES,
  type FeatureScoreName,
  nearestCentroidDistance,
  nearestNeighbourDistance,
} from "../calibrate/feature-distance.js";
import { fitTemperature } from "../calibrate/temperature.js";
import { auroc, thresholdForCoverage, UNSURE_SCORES, type UnsureScoreName, unsureScores } from "../calibrate/unsure.js";
import { classCounts } from "../data/index.js";
import { subsetsByCount } from "../distill/kd-loss.js";
import type { KdTargets } from "../distill/trainer.js";
import { evaluateProbabilities, softmaxRows } from "../metrics/index.js";
import { predictLogits } from "../train/head.js";
import type { ViewName } from "./cache-store.js";
import type { StudentConfig } from "./config.js";
import type { SplitData } from "./data.js";
import { trainConfiguredTeachers } from "./teachers.js";
import { testTimeLogits, trainStudentHead } from "./train-student.js";

export interface ScoreSeparation {
  /** P(an out image scores higher than an in image), ties one half (the evaluate CLI's `oodAuroc`). */
  auroc: number;
  /** The score at which `coverage` of the in-val images are answered (as the shipped rule is chosen). */
  threshold: number;
  unsureRateIn: number;
  unsureRateOut: number;
}

export interface HeldOutResult {
  heldOut: string;
  /** Images of the held-out class scored as "out". */
  outSupport: { train: number; val: number };
  /** Val images of the other classes scored as "in". */
  inSupport: number;
  subsets: { name: string; classes: string[] }[];
  /** The subsets that had a teacher (none without KD). */
  teachers: string[];
  temperature: number;
  /** The fold's own classification quality on its in-val images (its K − 1 classes). */
  inAccuracy: number;
  inMacroF1: number;
  scores: Record<UnsureScoreName, ScoreSeparation>;
  /** AUROC of feature-space distances to the fold's unflipped train features (research, not shipped). */
  featureAuroc: Record<FeatureScoreName, number>;
}

export interface AurocSummary {
  meanAuroc: number;
  minAuroc: number;
  minClass: string;
}

export interface ScoreSummary extends AurocSummary {
  meanUnsureRateIn: number;
  meanUnsureRateOut: number;
}

export interface OodProxyResult {
  seed: number;
  coverage: number;
  kd: string;
  folds: HeldOutResult[];
  summary: Record<UnsureScoreName, ScoreSummary>;
  featureSummary: Record<FeatureScoreName, AurocSummary>;
}

function pickRows(data: Float32Array, width: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * width);
  for (const [j, r] of rows.entries()) out.set(data.subarray(r * width, (r + 1) * width), j * width);
  return out;
}

function pickVariants(
  variants: Map<ViewName, Float32Array>,
  width: number,
  rows: readonly number[],
): Map<ViewName, Float32Array> {
  return new Map([...variants].map(([v, data]) => [v, pickRows(data, width, rows)]));
}

/** The rows of `split` whose label is in `classes`, relabelled 0..classes.length − 1 in that order. */
export function keepClasses(split: SplitData, classes: readonly number[]): SplitData {
  const local = new Map(classes.map((c, j) => [c, j]));
  const rows = [...split.labels.keys()].filter((i) => local.has(split.labels[i] as number));
  const student = pickVariants(split.student, split.studentWidth, rows);
  return {
    images: rows.map((i) => split.images[i] as SplitData["images"][number]),
    labels: Int32Array.from(rows, (i) => local.get(split.labels[i] as number) as number),
    student,
    studentWidth: split.studentWidth,
    teacher: split.teacher === split.student ? student : pickVariants(split.teacher, split.teacherWidth, rows),
    teacherWidth: split.teacherWidth,
  };
}

const countOf = (split: SplitData, label: number) => split.labels.filter((l) => l === label).length;

/** Student features (every flip variant) of the images labelled `label` in `train` and then `val`. */
function featuresOf(train: SplitData, val: SplitData, label: number): Map<ViewName, Float32Array> {
  const rowsOf = (split: SplitData) => [...split.labels.keys()].filter((i) => split.labels[i] === label);
  const fromTrain = pickVariants(train.student, train.studentWidth, rowsOf(train));
  const fromVal = pickVariants(val.student, val.studentWidth, rowsOf(val));
  return new Map(
    [...fromTrain].map(([variant, rows]) => {
      const more = fromVal.get(variant) ?? new Float32Array(0);
      const both = new Float32Array(rows.length + more.length);
      both.set(rows);
      both.set(more, rows.length);
      return [variant, both];
    }),
  );
}

/** How well one unsure score separates `outLogits` from `inLogits`, with the threshold set on the in set. */
export function separation(
  inLogits: Float32Array,
  outLogits: Float32Array,
  numClasses: number,
  temperature: number,
  score: UnsureScoreName,
  coverage: number,
): ScoreSeparation {
  const inScores = unsureScores(inLogits, numClasses, temperature, score);
  const outScores = unsureScores(outLogits, numClasses, temperature, score);
  const { threshold } = thresholdForCoverage(inScores, coverage);
  // core interpretLogits: unsure when the score is above the threshold.
  const rate = (scores: Float64Array) => scores.filter((s) => s > threshold).length / scores.length;
  return {
    auroc: auroc(outScores, inScores),
    threshold,
    unsureRateIn: rate(inScores),
    unsureRateOut: rate(outScores),
  };
}

/** One fold: class `heldOut` (an index into `classIds`) is never trained on and is scored as "out". */
export function holdOutClass(options: {
  config: StudentConfig;
  train: SplitData;
  val: SplitData;
  classIds: readonly string[];
  heldOut: number;
  log?: (line: string) => void;
}): HeldOutResult {
  const { config, train, val, classIds, heldOut, log } = options;
  const keep = classIds.map((_, c) => c).filter((c) => c !== heldOut);
  const keepIds = keep.map((c) => classIds[c] as string);
  const k = keep.length;
  const inTrain = keepClasses(train, keep);
  const inVal = keepClasses(val, keep);
  const outVariants = featuresOf(train, val, heldOut);
  const out = outVariants.get("id") as Float32Array;
  if (out.length === 0) throw new Error(`no images of ${classIds[heldOut]} to score as "out"`);
  if (inVal.labels.length === 0) throw new Error(`no val images of the classes other than ${classIds[heldOut]}`);

  const counts = classCounts(
    Array.from(inTrain.labels, (label) => ({ label })),
    k,
  );
  const subsets = subsetsByCount(counts, config.subsets);
  let kd: KdTargets | undefined;
  let teachers: string[] = [];
  if (config.kd) {
    // A subset left with one class (the held-out class was its other member) gets no teacher (trainTeachers).
    const made = trainConfiguredTeachers({
      config,
      features: config.teacher.features,
      subsets: config.teacher.perSubset ? subsets : [{ name: "all", classes: keep.map((_, j) => j) }],
      classIds: keepIds,
      train: inTrain,
      val: inVal,
      ...(log ? { log } : {}),
    });
    kd = made.kd;
    teachers = made.reports.map((report) => report.subset);
  }
  const run = trainStudentHead(config, inTrain, inVal, k, kd, config.curriculum);
  const outLogits = testTimeLogits(
    (rows) => predictLogits(run.head, rows, [inTrain.studentWidth]),
    outVariants,
    config.testTimeFlips,
  );
  run.head.dispose();
  const { temperature } = fitTemperature(run.valLogits, inVal.labels, k);
  const quality = evaluateProbabilities(softmaxRows(run.valLogits, k, temperature), inVal.labels, keepIds).metrics;
  const scores = Object.fromEntries(
    UNSURE_SCORES.map((score) => [
      score,
      separation(run.valLogits, outLogits, k, temperature, score, config.unsure.coverage),
    ]),
  ) as Record<UnsureScoreName, ScoreSeparation>;
  const bank = inTrain.student.get("id") as Float32Array;
  const width = inTrain.studentWidth;
  const inFeatures = inVal.student.get("id") as Float32Array;
  const featureDistance: Record<FeatureScoreName, (queries: Float32Array) => Float64Array> = {
    nearestNeighbour: (queries) => nearestNeighbourDistance(bank, queries, width),
    nearestCentroid: (queries) => nearestCentroidDistance(bank, inTrain.labels, k, queries, width),
  };
  const featureAuroc = Object.fromEntries(
    FEATURE_SCORES.map((name) => [name, auroc(featureDistance[name](out), featureDistance[name](inFeatures))]),
  ) as Record<FeatureScoreName, number>;
  return {
    heldOut: classIds[heldOut] as string,
    outSupport: { train: countOf(train, heldOut), val: countOf(val, heldOut) },
    inSupport: inVal.labels.length,
    subsets: subsets.map((s) => ({ name: s.name, classes: s.classes.map((c) => keepIds[c] as string) })),
    teachers,
    temperature,
    inAccuracy: quality.accuracy,
    inMacroF1: quality.macroF1,
    scores,
    featureAuroc,
  };
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** Mean AUROC over the folds, and the fold where it is lowest. */
function aurocSummary(folds: readonly HeldOutResult[], of: (fold: HeldOutResult) => number): AurocSummary {
  const worst = folds.reduce((a, b) => (of(b) < of(a) ? b : a));
  return { meanAuroc: mean(folds.map(of)), minAuroc: of(worst), minClass: worst.heldOut };
}

export function summarize(folds: readonly HeldOutResult[]): Record<UnsureScoreName, ScoreSummary> {
  if (folds.length === 0) throw new RangeError("no folds to summarize");
  return Object.fromEntries(
    UNSURE_SCORES.map((score) => [
      score,
      {
        ...aurocSummary(folds, (f) => f.scores[score].auroc),
        meanUnsureRateIn: mean(folds.map((f) => f.scores[score].unsureRateIn)),
        meanUnsureRateOut: mean(folds.map((f) => f.scores[score].unsureRateOut)),
      },
    ]),
  ) as Record<UnsureScoreName, ScoreSummary>;
}

export function summarizeFeatureScores(folds: readonly HeldOutResult[]): Record<FeatureScoreName, AurocSummary> {
  if (folds.length === 0) throw new RangeError("no folds to summarize");
  return Object.fromEntries(
    FEATURE_SCORES.map((name) => [name, aurocSummary(folds, (f) => f.featureAuroc[name])]),
  ) as Record<FeatureScoreName, AurocSummary>;
}

/** Both summaries of an OodProxyResult, from its folds. */
export function summarizeFolds(folds: readonly HeldOutResult[]): Pick<OodProxyResult, "summary" | "featureSummary"> {
  return { summary: summarize(folds), featureSummary: summarizeFeatureScores(folds) };
}

export function kdDescription(config: StudentConfig): string {
  return config.kd
    ? `${config.teacher.perSubset ? "per-subset" : "one all-class"} ${config.teacher.features} teachers, retrained in every fold without the held-out class`
    : "none";
}

/** Every fold in `heldOut` (default: every class), in order. */
export function runOodProxy(options: {
  config: StudentConfig;
  train: SplitData;
  val: SplitData;
  classIds: readonly string[];
  heldOut?: readonly number[];
  log?: (line: string) => void;
  /** Called after each fold (e.g. to save partial results of a long run). */
  onFold?: (fold: HeldOutResult) => void;
}): OodProxyResult {
  const { config, log } = options;
  const heldOut = options.heldOut ?? options.classIds.map((_, c) => c);
  const folds: HeldOutResult[] = [];
  for (const c of heldOut) {
    log?.(`holding out ${options.classIds[c]}`);
    const fold = holdOutClass({ ...options, heldOut: c });
    log?.(
      `  in-val accuracy ${fold.inAccuracy.toFixed(3)}, macro-F1 ${fold.inMacroF1.toFixed(3)}, T ${fold.temperature.toFixed(3)}; AUROC ${UNSURE_SCORES.map((s) => `${s} ${fold.scores[s].auroc.toFixed(3)}`).join(", ")}`,
    );
    folds.push(fold);
    options.onFold?.(fold);
  }
  return {
    seed: config.seed,
    coverage: config.unsure.coverage,
    kd: kdDescription(config),
    folds,
    ...summarizeFolds(folds),
  };
}
