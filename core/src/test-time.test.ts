import { describe, expect, it } from "vitest";
import { FLIP_VARIANTS, flipImage, meanLogits, meanOverViews, viewBatch } from "./test-time.js";

/** A 3×3 image whose every value names its pixel and channel: 100·y + 10·x + channel. */
const side = 3;
const image = Float32Array.from({ length: side * side * 3 }, (_, i) => {
  const pixel = Math.floor(i / 3);
  return 100 * Math.floor(pixel / side) + 10 * (pixel % side) + (i % 3);
});
const at = (a: Float32Array, y: number, x: number) =>
  Array.from(a.subarray((y * side + x) * 3, (y * side + x) * 3 + 3));

describe("flipImage", () => {
  it("mirrors left-right, top-bottom and both, keeping each pixel's channels together", () => {
    expect(at(flipImage(image, side, "h"), 0, 0)).toEqual([20, 21, 22]);
    expect(at(flipImage(image, side, "v"), 0, 1)).toEqual([210, 211, 212]);
    expect(at(flipImage(image, side, "hv"), 2, 2)).toEqual([0, 1, 2]);
    expect(at(flipImage(image, side, "hv"), 1, 0)).toEqual([120, 121, 122]);
  });

  it("is its own inverse, returns a copy, and hv is h after v", () => {
    for (const flip of FLIP_VARIANTS) expect(flipImage(flipImage(image, side, flip), side, flip)).toEqual(image);
    const copy = flipImage(image, side, "id");
    expect(copy).toEqual(image);
    expect(copy).not.toBe(image);
    expect(flipImage(flipImage(image, side, "v"), side, "h")).toEqual(flipImage(image, side, "hv"));
  });

  it("rejects an input that is not side × side × 3", () => {
    expect(() => flipImage(image.subarray(1), side, "h")).toThrow(/expected 3×3×3 = 27/);
  });
});

describe("viewBatch and meanOverViews", () => {
  it("lays the views out in the order asked", () => {
    const batch = viewBatch(image, side, ["id", "hv"]);
    expect(batch.subarray(0, image.length)).toEqual(image);
    expect(batch.subarray(image.length)).toEqual(flipImage(image, side, "hv"));
  });

  it("lays several images out image after image, each with its views, and refuses a partial image", () => {
    const other = image.map((v) => -v);
    const both = new Float32Array([...image, ...other]);
    const batch = viewBatch(both, side, ["id", "h"]);
    expect(batch).toHaveLength(4 * image.length);
    expect(batch.subarray(0, image.length)).toEqual(image);
    expect(batch.subarray(image.length, 2 * image.length)).toEqual(flipImage(image, side, "h"));
    expect(batch.subarray(2 * image.length, 3 * image.length)).toEqual(other);
    expect(batch.subarray(3 * image.length)).toEqual(flipImage(other, side, "h"));
    expect(() => viewBatch(both.subarray(1), side, ["id"])).toThrow(/not a whole number of 3×3×3 images/);
    expect(() => viewBatch(new Float32Array(), side, ["id"])).toThrow(RangeError);
  });

  it("averages each image's consecutive view rows", () => {
    // two images × two views × three classes
    const logits = [1, 2, 3, 3, 4, 5, 10, 0, -2, 0, 10, 2];
    expect(Array.from(meanOverViews(Float32Array.from(logits), 2, 3))).toEqual([2, 3, 4, 5, 5, 0]);
    expect(Array.from(meanOverViews(Float32Array.from(logits), 1, 3))).toEqual(logits);
  });

  it("meanLogits averages per-view arrays and refuses ragged or missing views", () => {
    expect(
      Array.from(
        meanLogits([
          [1, 4],
          [3, 0],
          [2, 2],
        ]),
      ),
    ).toEqual([2, 2]);
    expect(() => meanLogits([])).toThrow(/at least one view/);
    expect(() => meanLogits([[1, 2], [3]])).toThrow(/as many logits/);
  });

  it("rejects logits that do not split into whole images", () => {
    expect(() => meanOverViews(Float32Array.of(1, 2, 3, 4, 5), 2, 2)).toThrow(/do not split/);
    expect(() => meanOverViews(Float32Array.of(1, 2), 0, 2)).toThrow(/positive integer/);
  });
});
