import { describe, expect, it } from "vitest";
import { permutation, Rng } from "./rng.js";
import { stratifiedSplit } from "./split.js";

describe("Rng", () => {
  it("is reproducible from the seed and differs between seeds", () => {
    const a = Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.next()
      )(new Rng(42)),
    );
    const b = Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.next()
      )(new Rng(42)),
    );
    const c = Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.next()
      )(new Rng(43)),
    );
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(permutation(10, new Rng(1))).toEqual(permutation(10, new Rng(1)));
    expect(new Rng(1).fork("x").next()).toBe(new Rng(1).fork("x").next());
  });

  it("draws Beta(α, α) with mean ½", () => {
    const rng = new Rng(9);
    const draws = Array.from({ length: 4000 }, () => rng.beta(0.4));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThanOrEqual(1);
    expect(draws.reduce((a, b) => a + b, 0) / draws.length).toBeCloseTo(0.5, 1);
  });
});

describe("stratifiedSplit", () => {
  it("keeps every class on both sides in proportion", () => {
    const items = [
      ...Array.from({ length: 20 }, () => ({ label: 0 })),
      ...Array.from({ length: 3 }, () => ({ label: 1 })),
    ];
    const { train, heldOut } = stratifiedSplit(items, 0.2, new Rng(1));
    expect(heldOut.filter((i) => i.label === 0)).toHaveLength(4);
    expect(heldOut.filter((i) => i.label === 1)).toHaveLength(1);
    expect(train).toHaveLength(18);
  });
});
