/**
 * One teacher per class subset: a head (linear or MLP) on cached features, trained only on the
 * subset's images to tell the subset's classes apart. Its logits become the soft targets of the
 * student for those images (see kd-loss.ts).
 */

import { classCounts } from "../data/index.js";
import { Rng } from "../data/rng.js";
import { evaluateProbabilities, softmaxRows } from "../metrics/index.js";
import type { ViewName } from "../student/cache-store.js";
import { buildHead, forward, type HeadSpec, predictLogits } from "../train/head.js";
import { createLoss, type LossSpec } from "../train/losses.js";
import { cachedBatches } from "./batches.js";
import { fullSchedule } from "./curriculum.js";
import type { KdTargets } from "./trainer.js";
import { trainClassifier } from "./trainer.js";

export interface TeacherSpec {
  head: HeadSpec;
  loss: LossSpec;
  epochs: number;
  batchSize: number;
  learningRate: number;
}

export interface Subset {
  name: string;
  classes: number[];
}

export interface TeacherReport {
  subset: string;
  classes: string[];
  trainImages: number;
  /** On the validation images of the subset's classes, choosing among those classes only. */
  valAccuracy: number;
  valMacroF1: number;
}

function pickRows(data: Float32Array, width: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * width);
  for (const [j, r] of rows.entries()) out.set(data.subarray(r * width, (r + 1) * width), j * width);
  return out;
}

export function trainTeachers(options: {
  subsets: readonly Subset[];
  classIds: readonly string[];
  train: { inputs: Map<ViewName, Float32Array>; labels: Int32Array };
  val: { inputs: Float32Array; labels: Int32Array };
  width: number;
  spec: TeacherSpec;
  seed: number;
  temperature: number;
  alpha: number;
  log?: (line: string) => void;
}): { kd: KdTargets; reports: TeacherReport[] } {
  const { subsets, classIds, train, val, width, spec } = options;
  const k = classIds.length;
  const n = train.labels.length;
  const teacherLogits = new Map<ViewName, Float32Array>(
    [...train.inputs.keys()].map((v) => [v, new Float32Array(n * k)]),
  );
  const mask = new Float32Array(n * k);
  const reports: TeacherReport[] = [];
  for (const [s, subset] of subsets.entries()) {
    // A one-class subset (a fold that held out its other member) has nothing to distil: KL over a
    // single class is 0, so its images keep mask 0 and learn from the hard labels alone.
    if (subset.classes.length < 2) {
      options.log?.(`teacher ${subset.name}: none, the subset holds one class (${classIds[subset.classes[0] ?? -1]})`);
      continue;
    }
    const local = new Map(subset.classes.map((c, j) => [c, j]));
    const rows = [...train.labels.keys()].filter((i) => local.has(train.labels[i] as number));
    const labels = Int32Array.from(rows, (i) => local.get(train.labels[i] as number) as number);
    const inputs = new Map([...train.inputs].map(([v, data]) => [v, pickRows(data, width, rows)]));
    const rng = new Rng(options.seed + 101 * (s + 1));
    const head = buildHead(width, subset.classes.length, spec.head, options.seed + 17 * (s + 1));
    const counts = classCounts(
      Array.from(labels, (label) => ({ label })),
      subset.classes.length,
    );
    trainClassifier({
      forward: (x, training) => forward(head, x, training, rng),
      source: cachedBatches(inputs, [width]),
      labels,
      numClasses: subset.classes.length,
      loss: createLoss(spec.loss, counts),
      schedule: fullSchedule(rows.length),
      epochs: spec.epochs,
      batchSize: spec.batchSize,
      learningRate: spec.learningRate,
      rng,
    });
    for (const [variant, data] of inputs) {
      const logits = predictLogits(head, data, [width]);
      const full = teacherLogits.get(variant) as Float32Array;
      rows.forEach((r, j) => {
        for (const [c, lc] of local) full[r * k + c] = logits[j * subset.classes.length + lc] as number;
      });
    }
    for (const r of rows) for (const c of subset.classes) mask[r * k + c] = 1;
    const valRows = [...val.labels.keys()].filter((i) => local.has(val.labels[i] as number));
    const subsetIds = subset.classes.map((c) => classIds[c] as string);
    let valAccuracy = Number.NaN;
    let valMacroF1 = Number.NaN;
    if (valRows.length > 0) {
      const valLogits = predictLogits(head, pickRows(val.inputs, width, valRows), [width]);
      const evaluation = evaluateProbabilities(
        softmaxRows(valLogits, subset.classes.length),
        valRows.map((i) => local.get(val.labels[i] as number) as number),
        subsetIds,
      );
      valAccuracy = evaluation.metrics.accuracy;
      valMacroF1 = evaluation.metrics.macroF1;
    }
    head.dispose();
    reports.push({ subset: subset.name, classes: subsetIds, trainImages: rows.length, valAccuracy, valMacroF1 });
    options.log?.(
      `teacher ${subset.name} [${subsetIds.join(", ")}]: ${rows.length} train images; val accuracy ${valAccuracy.toFixed(3)}, macro-F1 ${valMacroF1.toFixed(3)} within the subset`,
    );
  }
  return { kd: { teacherLogits, mask, temperature: options.temperature, alpha: options.alpha }, reports };
}
