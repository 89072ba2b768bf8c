import { describe, expect, it } from "vitest";
import { initBackend, tf } from "../backend/index.js";
import { Rng } from "../data/rng.js";
import { buildHead, featureStats, forward } from "./head.js";

await initBackend("cpu");

describe("heads", () => {
  it("standardises inside the model: the training mean maps to the logits' bias", () => {
    const x = Float32Array.from([1, 100, 3, 300, 5, 500]);
    const stats = featureStats(x, 2);
    expect(Array.from(stats.mean)).toEqual([3, 300]);
    expect(stats.variance[1]).toBeCloseTo(80000 / 3, 1);
    const head = buildHead(2, 3, { hidden: [], dropout: 0, standardize: true }, 1, stats);
    expect(head.trainableWeights.map((w) => w.name)).toEqual(["head_logits/kernel", "head_logits/bias"]);
    const logits = forward(head, tf.tensor2d([[3, 300]]), true).arraySync()[0] as number[];
    for (const v of logits) expect(v).toBeCloseTo(0, 5);
  });

  it("draws dropout masks from the run's Rng, so training forward passes repeat", () => {
    const head = buildHead(4, 2, { hidden: [8], dropout: 0.5 }, 3);
    const x = tf.ones([2, 4]);
    const a = forward(head, x, true, new Rng(5)).arraySync();
    const b = forward(head, x, true, new Rng(5)).arraySync();
    expect(a).toEqual(b);
    expect(() => forward(head, x, true)).toThrow(/Rng/);
    expect(forward(head, x, false).arraySync()).toEqual(forward(head, x, false).arraySync());
  });
});
