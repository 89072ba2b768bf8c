import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend/index.js";
import { nearestCentroidDistance, nearestNeighbourDistance } from "./feature-distance.js";

beforeAll(async () => {
  await initBackend("wasm");
});

describe("feature-space distances", () => {
  const bank = Float32Array.from([1, 0, 0, 2, 0, 0, 0, 1, 0]); // rows: x, 2x, y
  const labels = Int32Array.from([0, 0, 1]);
  it("gives the cosine distance to the nearest training image", () => {
    const d = nearestNeighbourDistance(bank, Float32Array.from([3, 0, 0, 1, 1, 0, 0, 0, 5]), 3);
    expect(d[0]).toBeCloseTo(0, 6);
    expect(d[1]).toBeCloseTo(1 - Math.SQRT1_2, 6);
    expect(d[2]).toBeCloseTo(1, 6);
  });
  it("gives the cosine distance to the nearest class mean", () => {
    const d = nearestCentroidDistance(bank, labels, 3, Float32Array.from([0, 2, 0, 1, 1, 1]), 3);
    expect(d[0]).toBeCloseTo(0, 6);
    expect(d[1]).toBeCloseTo(1 - 1 / Math.sqrt(3), 6);
  });
});
