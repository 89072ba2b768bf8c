import { describe, expect, it } from "vitest";
import { initBackend, tf } from "../backend/index.js";
import { createLoss, DEFAULT_LOSS, type LossSpec } from "./losses.js";
import { classWeights } from "./weights.js";

await initBackend("cpu");

const logits = tf.tensor2d([
  [2, 0.5, -1],
  [0.1, 0.2, 0.3],
  [-1, 3, 0],
  [0.5, 0.5, 2],
]);
const labels = tf.tensor1d([0, 2, 1, 0], "int32");
const unmixed = { a: labels, b: labels, lambda: tf.ones([4]) as tf.Tensor1D };
const counts = [10, 5, 1];
const value = (spec: Partial<LossSpec>, targets = unmixed) =>
  createLoss({ ...DEFAULT_LOSS, ...spec }, counts)
    .compute(logits, targets)
    .dataSync()[0] as number;

describe("losses", () => {
  it("cross-entropy matches a hand computation", () => {
    const rows = logits.arraySync();
    const lab = [0, 2, 1, 0];
    const expected =
      rows.reduce((sum, row, i) => {
        const lse = Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
        return sum + lse - (row[lab[i] as number] as number);
      }, 0) / 4;
    expect(value({ kind: "ce" })).toBeCloseTo(expected, 5);
  });

  it("focal loss equals cross-entropy at gamma 0", () => {
    expect(value({ kind: "focal", gamma: 0 })).toBeCloseTo(value({ kind: "ce" }), 6);
    expect(value({ kind: "focal", gamma: 2 })).toBeLessThan(value({ kind: "ce" }));
  });

  it("inverse-frequency weights equal total / count", () => {
    expect(classWeights([10, 5, 1], "inverse")).toEqual([16 / 10, 16 / 5, 16 / 1]);
    const eff = classWeights([100, 10, 1], "effective", 0.99);
    expect(eff.reduce((a, b) => a + b, 0)).toBeCloseTo(3, 9);
    expect(eff[2]).toBeGreaterThan(eff[1] as number);
  });

  it("the λ-mixed loss is λ·L(a) + (1 − λ)·L(b)", () => {
    const b = tf.tensor1d([1, 0, 2, 2], "int32");
    const lam = 0.3;
    const mixed = value({ kind: "ce" }, { a: labels, b, lambda: tf.fill([4], lam) as tf.Tensor1D });
    const la = value({ kind: "ce" });
    const lb = value({ kind: "ce" }, { a: b, b, lambda: tf.ones([4]) as tf.Tensor1D });
    expect(mixed).toBeCloseTo(lam * la + (1 - lam) * lb, 5);
  });

  it("balanced softmax is cross-entropy on logits shifted by the log prior", () => {
    const prior = counts.map((n) => n / 16);
    const shifted = tf.add(logits, tf.tensor1d(prior.map(Math.log))) as tf.Tensor2D;
    const expected = createLoss(DEFAULT_LOSS, counts).compute(shifted, unmixed).dataSync()[0] as number;
    expect(value({ kind: "balanced-softmax" })).toBeCloseTo(expected, 5);
    expect(value({ kind: "logit-adjusted", tau: 1 })).toBeCloseTo(expected, 5);
  });

  it("label smoothing raises the loss of confident right answers", () => {
    expect(value({ labelSmoothing: 0.1 })).not.toBeCloseTo(value({}), 3);
  });
});
