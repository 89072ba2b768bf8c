import { describe, expect, it } from "vitest";
import { Rng } from "../data/rng.js";
import { cutmixBox, cutmixPixels, mixPixels, mixupPixels } from "./mix.js";

describe("CutMix", () => {
  it("box area matches λ (1 − area / image area) for many draws", () => {
    const rng = new Rng(3);
    for (let i = 0; i < 200; i++) {
      const size = 32;
      const { box, lambda } = cutmixBox(size, rng.beta(1), rng);
      expect(lambda).toBeCloseTo(1 - (box.w * box.h) / (size * size), 12);
      expect(box.x + box.w).toBeLessThanOrEqual(size);
      expect(box.y + box.h).toBeLessThanOrEqual(size);
    }
  });

  it("pastes exactly the box from the partner and the pixel share matches λ", () => {
    const size = 16;
    const a = new Float32Array(size * size * 3).fill(0);
    const b = new Float32Array(size * size * 3).fill(1);
    const { pixels, lambda } = mixPixels(a, b, size, { mode: "cutmix", alpha: 1 }, new Rng(11));
    const share = pixels.reduce((s, v) => s + v, 0) / pixels.length;
    expect(1 - share).toBeCloseTo(lambda, 12);
    const { box } = cutmixBox(size, 0.75, new Rng(5));
    const out = cutmixPixels(a, b, size, box);
    expect(out.reduce((s, v) => s + v, 0)).toBe(box.w * box.h * 3);
  });

  it("mixup blends linearly", () => {
    const { pixels } = mixupPixels(Float32Array.of(0, 10), Float32Array.of(10, 0), 0.25);
    expect(Array.from(pixels)).toEqual([7.5, 2.5]);
  });
});
