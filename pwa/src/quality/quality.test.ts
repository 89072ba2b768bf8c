import type { RawImage } from "@pifu/core";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { fixturePng } from "../../../test/e2e/fixture-image.js";
import { assessQuality } from "./quality.js";

async function raw(png: Buffer): Promise<RawImage> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels as 3 | 4 };
}

async function judge(options: Parameters<typeof fixturePng>[0]) {
  const image = await raw(await fixturePng(options));
  return assessQuality(image, image);
}

describe("assessQuality", () => {
  it("passes an evenly lit, sharp photo", async () => {
    const report = await judge({ width: 320, height: 320 });
    expect(report.problems).toEqual([]);
    expect(report.brightness).toBeGreaterThan(80);
  });

  it("flags a dark photo as too dark, not blurry", async () => {
    expect((await judge({ level: 15 })).problems).toEqual(["too_dark"]);
  });

  it("flags a washed-out photo as too bright", async () => {
    expect((await judge({ level: 250 })).problems).toContain("too_bright");
  });

  it("flags a blurred photo by the variance of its Laplacian", async () => {
    const sharpReport = await judge({ seed: 3 });
    const blurred = await judge({ seed: 3, blur: 6 });
    expect(blurred.problems).toEqual(["too_blurry"]);
    expect(blurred.sharpness).toBeLessThan(sharpReport.sharpness / 10);
  });

  it("flags a photo whose short side is under the minimum", async () => {
    const image = await raw(await fixturePng({ width: 300, height: 120 }));
    expect(assessQuality(image, image).problems).toEqual(["too_small"]);
  });
});
