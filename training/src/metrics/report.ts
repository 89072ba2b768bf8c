/**
 * Classification metrics in the layout of sklearn's classification_report (and the seed report's
 * tables): per-class precision / recall / F1 / support, accuracy, macro avg, weighted avg; plus the
 * confusion matrix, top-3 accuracy, expected calibration error and a per-source breakdown.
 */
import { type EvaluationMetrics, softmax } from "@pifu/core";

export interface ClassRow {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ClassificationReport {
  classes: string[];
  perClass: Record<string, ClassRow>;
  accuracy: number;
  macroAvg: ClassRow;
  weightedAvg: ClassRow;
  support: number;
}

/** Rows are true classes, columns predicted classes. */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number[][] {
  if (yTrue.length !== yPred.length) throw new RangeError(`yTrue has ${yTrue.length} labels, yPred ${yPred.length}`);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i] as number;
    const p = yPred[i] as number;
    if (!(t >= 0 && t < numClasses && p >= 0 && p < numClasses)) {
      throw new RangeError(`label out of range at ${i}: true ${t}, predicted ${p}, classes ${numClasses}`);
    }
    (m[t] as number[])[p] = ((m[t] as number[])[p] as number) + 1;
  }
  return m;
}

// sklearn's zero_division=0: an undefined ratio counts as 0.
const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

export function classificationReport(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  classes: readonly string[],
): ClassificationReport {
  const m = confusionMatrix(yTrue, yPred, classes.length);
  const perClass: Record<string, ClassRow> = {};
  let correct = 0;
  const rows: ClassRow[] = [];
  for (const [k, id] of classes.entries()) {
    const tp = (m[k] as number[])[k] as number;
    correct += tp;
    const support = (m[k] as number[]).reduce((a, b) => a + b, 0);
    const predicted = m.reduce((a, row) => a + (row[k] as number), 0);
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    const f1 = ratio(2 * precision * recall, precision + recall);
    const row = { precision, recall, f1, support };
    perClass[id] = row;
    rows.push(row);
  }
  const total = yTrue.length;
  const avg = (weight: (r: ClassRow) => number): ClassRow => {
    const w = rows.map(weight);
    const wSum = w.reduce((a, b) => a + b, 0);
    const mean = (pick: (r: ClassRow) => number) =>
      ratio(
        rows.reduce((a, r, i) => a + pick(r) * (w[i] as number), 0),
        wSum,
      );
    return {
      precision: mean((r) => r.precision),
      recall: mean((r) => r.recall),
      f1: mean((r) => r.f1),
      support: total,
    };
  };
  return {
    classes: [...classes],
    perClass,
    accuracy: ratio(correct, total),
    // Over the classes the data has: a class with no rows has no recall to average (evaluate on a subset folder).
    macroAvg: avg((r) => (r.support > 0 ? 1 : 0)),
    weightedAvg: avg((r) => r.support),
    support: total,
  };
}

/** Share of rows whose true class is among the k highest probabilities (ties broken by lower index). */
export function topKAccuracy(probs: ArrayLike<number>, yTrue: ArrayLike<number>, numClasses: number, k = 3): number {
  let hits = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i] as number;
    const pt = probs[i * numClasses + t] as number;
    let better = 0;
    for (let c = 0; c < numClasses; c++) {
      const pc = probs[i * numClasses + c] as number;
      if (pc > pt || (pc === pt && c < t)) better++;
    }
    if (better < k) hits++;
  }
  return ratio(hits, yTrue.length);
}

/** Expected calibration error over equal-width confidence bins (default 15, as in Guo et al. 2017). */
export function expectedCalibrationError(
  probs: ArrayLike<number>,
  yTrue: ArrayLike<number>,
  numClasses: number,
  bins = 15,
): number {
  const count = new Array<number>(bins).fill(0);
  const conf = new Array<number>(bins).fill(0);
  const acc = new Array<number>(bins).fill(0);
  const n = yTrue.length;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++)
      if ((probs[i * numClasses + c] as number) > (probs[i * numClasses + best] as number)) best = c;
    const p = probs[i * numClasses + best] as number;
    // Bins are (lo, hi]; a confidence of exactly 0 joins the first bin.
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(p * bins) - 1));
    count[b] = (count[b] as number) + 1;
    conf[b] = (conf[b] as number) + p;
    acc[b] = (acc[b] as number) + (best === yTrue[i] ? 1 : 0);
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    const c = count[b] as number;
    if (c > 0) ece += (c / n) * Math.abs((acc[b] as number) / c - (conf[b] as number) / c);
  }
  return ece;
}

export function argmaxRows(values: ArrayLike<number>, numClasses: number): Int32Array {
  const n = values.length / numClasses;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++)
      if ((values[i * numClasses + c] as number) > (values[i * numClasses + best] as number)) best = c;
    out[i] = best;
  }
  return out;
}

export interface Evaluation {
  /** Shaped like core EvaluationMetricsSchema (goes into model cards as-is). */
  metrics: EvaluationMetrics;
  report: ClassificationReport;
  confusion: number[][];
  /** Per-source reports, when sources were given. */
  perSourceReports?: Record<string, ClassificationReport>;
}

/**
 * Everything from probabilities ([n, classes] row-major, rows summing to 1) and true labels.
 * `sources[i]` (optional) names where image i came from.
 */
export function evaluateProbabilities(
  probs: ArrayLike<number>,
  yTrue: ArrayLike<number>,
  classes: readonly string[],
  sources?: readonly (string | undefined)[],
): Evaluation {
  const k = classes.length;
  if (probs.length !== yTrue.length * k)
    throw new RangeError(`probs has ${probs.length} values, expected ${yTrue.length}×${k}`);
  const yPred = argmaxRows(probs, k);
  const report = classificationReport(yTrue, yPred, classes);
  const metrics: EvaluationMetrics = {
    accuracy: report.accuracy,
    macroF1: report.macroAvg.f1,
    weightedF1: report.weightedAvg.f1,
    top3Accuracy: topKAccuracy(probs, yTrue, k, Math.min(3, k)),
    ece: expectedCalibrationError(probs, yTrue, k),
    support: report.support,
    perClass: report.perClass,
  };
  const evaluation: Evaluation = { metrics, report, confusion: confusionMatrix(yTrue, yPred, k) };
  if (sources?.some((s) => s !== undefined)) {
    const groups = new Map<string, number[]>();
    for (let i = 0; i < yTrue.length; i++) {
      const s = sources[i] ?? "unknown";
      groups.set(s, [...(groups.get(s) ?? []), i]);
    }
    const perSource: NonNullable<EvaluationMetrics["perSource"]> = {};
    const perSourceReports: Record<string, ClassificationReport> = {};
    for (const [source, idx] of [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const r = classificationReport(
        idx.map((i) => yTrue[i] as number),
        idx.map((i) => yPred[i] as number),
        classes,
      );
      perSource[source] = { accuracy: r.accuracy, macroF1: r.macroAvg.f1, support: r.support };
      perSourceReports[source] = r;
    }
    evaluation.metrics.perSource = perSource;
    evaluation.perSourceReports = perSourceReports;
  }
  return evaluation;
}

/** Softmax over rows of logits (core's softmax, the PWA's, row by row). */
export function softmaxRows(logits: ArrayLike<number>, numClasses: number, temperature = 1): Float32Array {
  const out = new Float32Array(logits.length);
  for (let start = 0; start < logits.length; start += numClasses) {
    const row = Array.from({ length: numClasses }, (_, c) => logits[start + c] as number);
    out.set(softmax(row, temperature), start);
  }
  return out;
}
