import { describe, expect, it } from "vitest";
import { interpretLogits, softmax, topK, unsureScore } from "./postprocess.js";

describe("postprocess", () => {
  it("softmax sums to 1 and softens with temperature", () => {
    const p = softmax([2, 1, 0]);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(softmax([2, 1, 0], 4)[0]).toBeLessThan(p[0] as number);
    expect(() => softmax([1], 0)).toThrow(RangeError);
    expect(Array.from(softmax([1000, 0]))).toEqual([1, 0]);
  });

  it("ranks the top k with stable ties", () => {
    expect(topK([0.1, 0.5, 0.1, 0.3], 3).map((r) => r.index)).toEqual([1, 3, 0]);
  });

  it("scores confident logits below uncertain ones for every rule", () => {
    for (const rule of ["maxProb", "margin", "energy"] as const) {
      expect(unsureScore([10, 0, 0], 1, rule)).toBeLessThan(unsureScore([1, 0.9, 0.8], 1, rule));
    }
  });

  it("flags unsure results above the threshold", () => {
    const rule = { score: "maxProb" as const, threshold: 0.4, coverage: 0.8 };
    expect(interpretLogits([5, 0, 0], { temperature: 1 }, rule).unsure).toBe(false);
    const flat = interpretLogits([1, 1, 1], { temperature: 1 }, rule);
    expect(flat.unsure).toBe(true);
    expect(flat.top).toHaveLength(3);
  });
});
