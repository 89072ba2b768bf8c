import { describe, expect, it } from "vitest";
import { Rng } from "../data/rng.js";
import { fitTemperature, meanNll } from "./temperature.js";
import { auroc, chooseUnsureRule, thresholdForCoverage } from "./unsure.js";

/** Logits of a model right ~70% of the time but far too sure of itself. */
function overconfident(n: number, k: number, rng: Rng) {
  const logits = new Float32Array(n * k);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = rng.int(k);
    labels[i] = label;
    const predicted = rng.next() < 0.7 ? label : rng.int(k);
    for (let c = 0; c < k; c++) logits[i * k + c] = 8 * (rng.normal() * 0.5 + (c === predicted ? 2 : 0));
  }
  return { logits, labels };
}

describe("temperature scaling", () => {
  it("finds T > 1 and lowers NLL on overconfident logits", () => {
    const { logits, labels } = overconfident(600, 5, new Rng(3));
    const fit = fitTemperature(logits, labels, 5);
    expect(fit.temperature).toBeGreaterThan(1.5);
    expect(fit.nllAfter).toBeLessThan(fit.nllBefore * 0.7);
    expect(fit.nllAfter).toBeCloseTo(meanNll(logits, labels, 5, fit.temperature), 10);
    // It is a minimum: nearby temperatures do no better.
    expect(meanNll(logits, labels, 5, fit.temperature * 1.1)).toBeGreaterThan(fit.nllAfter);
    expect(meanNll(logits, labels, 5, fit.temperature / 1.1)).toBeGreaterThan(fit.nllAfter);
  });
});

describe("unsure rule", () => {
  it("chooses the threshold for the stated coverage", () => {
    const scores = Array.from({ length: 100 }, (_, i) => i / 100);
    expect(thresholdForCoverage(scores, 0.9)).toEqual({ threshold: 0.89, coverage: 0.9 });
    const { logits, labels } = overconfident(200, 4, new Rng(5));
    void labels;
    const rule = chooseUnsureRule(logits, 4, 2, "margin", 0.8);
    expect(rule.score).toBe("margin");
    expect(rule.coverage).toBeGreaterThanOrEqual(0.8);
    expect(rule.coverage).toBeLessThan(0.81);
  });

  it("computes AUROC with ties as one half", () => {
    expect(auroc([3, 4], [1, 2])).toBe(1);
    expect(auroc([1, 2], [3, 4])).toBe(0);
    expect(auroc([1, 3], [2, 2])).toBe(0.5);
    expect(auroc([2], [2])).toBe(0.5);
  });
});
