import { describe, expect, it } from "vitest";
import { evaluationMarkdown } from "./render.js";
import {
  classificationReport,
  confusionMatrix,
  evaluateProbabilities,
  expectedCalibrationError,
  topKAccuracy,
} from "./report.js";

describe("classificationReport", () => {
  // Hand-computed: classes a, b, c.
  // true: a a a b b c ; pred: a a b b c c
  // a: tp 2, pred 2, support 3 -> p 1, r 2/3, f1 0.8
  // b: tp 1, pred 2, support 2 -> p 0.5, r 0.5, f1 0.5
  // c: tp 1, pred 2, support 1 -> p 0.5, r 1, f1 2/3
  const yTrue = [0, 0, 0, 1, 1, 2];
  const yPred = [0, 0, 1, 1, 2, 2];
  const report = classificationReport(yTrue, yPred, ["a", "b", "c"]);

  it("matches a hand-computed case", () => {
    expect(report.perClass.a).toEqual({ precision: 1, recall: 2 / 3, f1: expect.closeTo(0.8, 12), support: 3 });
    expect(report.perClass.b).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(report.perClass.c?.f1).toBeCloseTo(2 / 3, 12);
    expect(report.accuracy).toBeCloseTo(4 / 6, 12);
    expect(report.macroAvg.precision).toBeCloseTo(2 / 3, 12);
    expect(report.macroAvg.recall).toBeCloseTo((2 / 3 + 0.5 + 1) / 3, 12);
    expect(report.macroAvg.f1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12);
    expect(report.weightedAvg.f1).toBeCloseTo((0.8 * 3 + 0.5 * 2 + (2 / 3) * 1) / 6, 12);
    expect(report.weightedAvg.support).toBe(6);
  });

  it("counts undefined precision as 0 like sklearn's zero_division=0", () => {
    const r = classificationReport([0, 1], [0, 0], ["a", "b"]);
    expect(r.perClass.b).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
  });

  it("averages macro scores over the classes the data has, so a subset folder is not diluted by empty rows", () => {
    // Eight classes on the card, rows of two of them, all right: macro-F1 1, not 2/8.
    const r = classificationReport([0, 0, 1, 1], [0, 0, 1, 1], ["a", "b", "c", "d", "e", "f", "g", "h"]);
    expect(r.macroAvg.f1).toBe(1);
    // A class predicted but absent still costs its rows through the present classes' recall.
    const wrong = classificationReport([0, 1], [0, 2], ["a", "b", "c"]);
    expect(wrong.macroAvg.recall).toBe(0.5);
    expect(wrong.macroAvg.f1).toBeCloseTo(0.5, 12);
  });

  it("builds the confusion matrix with true classes as rows", () => {
    expect(confusionMatrix(yTrue, yPred, 3)).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    expect(() => confusionMatrix([0, 3], [0, 0], 3)).toThrow(/out of range/);
  });
});

describe("probability metrics", () => {
  const probs = [0.7, 0.2, 0.1, 0.1, 0.3, 0.6, 0.5, 0.4, 0.1];
  const labels = [0, 1, 2];

  it("computes top-k accuracy", () => {
    expect(topKAccuracy(probs, labels, 3, 1)).toBeCloseTo(1 / 3, 12);
    expect(topKAccuracy(probs, labels, 3, 2)).toBeCloseTo(2 / 3, 12);
    expect(topKAccuracy(probs, labels, 3, 3)).toBe(1);
  });

  it("computes expected calibration error over 15 bins", () => {
    // Confidences 0.7 (right), 0.6 (wrong), 0.5 (wrong) fall in three bins: (0.3 + 0.6 + 0.5) / 3.
    expect(expectedCalibrationError(probs, labels, 3)).toBeCloseTo((0.3 + 0.6 + 0.5) / 3, 12);
    expect(expectedCalibrationError([1, 0, 0, 1], [0, 1], 2)).toBe(0);
  });

  it("returns core-shaped metrics with a per-source breakdown and renders Markdown", () => {
    const e = evaluateProbabilities(probs, labels, ["a", "b", "c"], ["x", "y", "x"]);
    expect(e.metrics.accuracy).toBeCloseTo(1 / 3, 12);
    expect(e.metrics.perSource?.x?.support).toBe(2);
    expect(e.metrics.perSource?.y).toEqual({ accuracy: 0, macroF1: 0, support: 1 });
    const md = evaluationMarkdown(e);
    expect(md).toContain("| macro avg |");
    expect(md).toContain("| weighted avg |");
    expect(md).toContain("| x |");
  });
});
