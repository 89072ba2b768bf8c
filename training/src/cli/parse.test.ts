import { describe, expect, it } from "vitest";
import { flips, int, num, positiveInt, shard, side, teacherBackbones } from "./parse.js";

describe("CLI number flags", () => {
  it("parses numbers and names the flag when one is not", () => {
    expect(num("lr")("3e-4")).toBe(3e-4);
    expect(() => num("lr")("fast")).toThrow('--lr must be a number, got "fast"');
    expect(int("epochs")("30")).toBe(30);
    expect(() => int("epochs")("2.5")).toThrow(/--epochs must be a non-negative integer/);
  });

  it("refuses 0 where a count must be at least 1", () => {
    expect(positiveInt("batch")("16")).toBe(16);
    expect(() => positiveInt("batch")("0")).toThrow("--batch must be at least 1, got 0");
    expect(() => positiveInt("batch")("x")).toThrow('--batch must be a number, got "x"');
  });

  it("takes a shard as INDEX/COUNT with the index below the count", () => {
    expect(shard("shard")("1/2")).toEqual({ index: 1, count: 2 });
    for (const bad of ["2/2", "0/0", "1", "/2", "-1/2", "0.5/2", "0/2/3"])
      expect(() => shard("shard")(bad), bad).toThrow(
        `--shard must be INDEX/COUNT with 0 ≤ INDEX < COUNT (e.g. 0/2), got "${bad}"`,
      );
  });

  it("takes an input side of at least 32 px", () => {
    expect(side("input-size")("320")).toBe(320);
    expect(() => side("input-size")("16")).toThrow("--input-size must be at least 32 px, got 16");
    expect(() => side("input-size")("abc")).toThrow(/--input-size must be a number/);
  });

  it("takes a list of distinct test-time flips", () => {
    expect(flips("tta-flips")("id, h,v,hv")).toEqual(["id", "h", "v", "hv"]);
    expect(flips("tta-flips")("id")).toEqual(["id"]);
    expect(() => flips("tta-flips")("id,rot90")).toThrow(
      '--tta-flips must list distinct flips out of id, h, v, hv, got "id,rot90"',
    );
    expect(() => flips("tta-flips")("h,h")).toThrow(/distinct flips/);
  });
});

describe("--teacher-backbone", () => {
  it("takes registry names in order, or none, and refuses a name the registry cannot tap", () => {
    expect(teacherBackbones("none")).toEqual([]);
    expect(teacherBackbones("nsfwjs_mobilenet_v2, darknet_tiny")).toEqual(["nsfwjs_mobilenet_v2", "darknet_tiny"]);
    expect(() => teacherBackbones("darknet_tiny,resnet")).toThrow(
      /unknown teacher backbone "resnet"; valid: darknet_tiny/,
    );
  });
});
