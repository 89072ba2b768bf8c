import { describe, expect, it } from "vitest";
import { retryDelay } from "./sync.js";

describe("retryDelay", () => {
  it("doubles from one second and stops at a minute, with jitter between half and all of it", () => {
    expect([1, 2, 3, 4].map((n) => retryDelay(n, () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelay(20, () => 1)).toBe(60_000);
    expect(retryDelay(3, () => 0)).toBe(2000);
  });
});
