import { describe, expect, it } from "vitest";
import { fileSizeProblem, PHOTO_LIMITS, pixelCountProblem } from "./size-limit.js";

describe("photo size limits", () => {
  it("accepts ordinary phone photos and a photo exactly at the limits", () => {
    expect(pixelCountProblem(4032, 3024)).toBeUndefined(); // 12 MP
    expect(pixelCountProblem(8000, 5000)).toBeUndefined(); // 40 MP exactly
    expect(fileSizeProblem(5 * 1024 * 1024)).toBeUndefined();
    expect(fileSizeProblem(PHOTO_LIMITS.maxBytes)).toBeUndefined();
  });

  it("refuses a 50 MP photo and a file over 40 MB, saying how large each is", () => {
    expect(pixelCountProblem(8160, 6120)).toEqual({ kind: "pixels", size: 50, limit: 40 });
    expect(fileSizeProblem(PHOTO_LIMITS.maxBytes + 1)).toEqual({ kind: "bytes", size: 41, limit: 40 });
  });

  it("applies lowered limits", () => {
    const limits = { maxPixels: 2_000_000, maxBytes: 1024 * 1024 };
    expect(pixelCountProblem(2000, 1001, limits)).toEqual({ kind: "pixels", size: 3, limit: 2 });
    expect(pixelCountProblem(2000, 1000, limits)).toBeUndefined();
    expect(fileSizeProblem(3 * 1024 * 1024, limits)).toEqual({ kind: "bytes", size: 3, limit: 1 });
  });
});
