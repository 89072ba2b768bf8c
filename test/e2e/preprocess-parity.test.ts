/**
 * The preprocessing contract across engines: the same photo decoded by Chromium (the app's own
 * createImageBitmap + canvas path) and by training's decoder (sharp, what `npm run evaluate` uses)
 * gives the same `preprocess` output: byte-identical for PNG, within a JPEG decoder's rounding for
 * JPEG, the same way up for a phone JPEG whose EXIF says it is rotated, and in sRGB colours for a
 * phone JPEG in another colour space (an iPhone's Display P3).
 */
import { DEFAULT_PREPROCESS, type PreprocessSpec, preprocess, sha256Hex } from "@pifu/core";
import type { Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeBytes } from "../../training/src/data/decode.js";
import { bundleForBrowser, type Chromium, launchChromium } from "./browser.js";
import { fixturePng } from "./fixture-image.js";

let browser: Chromium;
let page: Page;

/** The browser side: the app's decode functions and core's preprocess, bundled for the page. */
const ENTRY = `
import { preprocess } from "@pifu/core";
import { decodeBitmap, readPixels } from "./pwa/src/image/decode.ts";
globalThis.preprocessInBrowser = async (base64, type, spec) => {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const bitmap = await decodeBitmap(new Blob([bytes], { type }));
  const out = preprocess(readPixels(bitmap), spec);
  let text = "";
  const raw = new Uint8Array(out.buffer);
  for (let i = 0; i < raw.length; i += 0x8000) text += String.fromCharCode(...raw.subarray(i, i + 0x8000));
  return btoa(text);
};
`;

/** `preprocess` output for a photo decoded the way the evaluate CLI decodes it. */
async function nodeSide(photo: Buffer, spec: PreprocessSpec): Promise<Float32Array> {
  return preprocess(await decodeBytes(new Uint8Array(photo)), spec);
}

/** `preprocess` output for a photo decoded by the app's code in Chromium. */
async function browserSide(photo: Buffer, type: string, spec: PreprocessSpec): Promise<Float32Array> {
  const base64 = await page.evaluate(
    ([data, t, s]) =>
      (
        globalThis as unknown as {
          preprocessInBrowser: (d: string, t: string, s: unknown) => Promise<string>;
        }
      ).preprocessInBrowser(data, t, s),
    [photo.toString("base64"), type, spec] as const,
  );
  const bytes = Buffer.from(base64, "base64");
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

const bytesOf = (values: Float32Array) => new Uint8Array(values.buffer, values.byteOffset, values.byteLength);

/** Mean and largest absolute difference, in input units (a range of 2 for [-1, 1]). */
function difference(a: Float32Array, b: Float32Array): { mean: number; max: number } {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    sum += d;
    max = Math.max(max, d);
  }
  return { mean: sum / a.length, max };
}

beforeAll(async () => {
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.goto("about:blank");
  await page.addScriptTag({ content: await bundleForBrowser(ENTRY) });
});

afterAll(async () => {
  await browser?.close();
});

describe("preprocess parity, Chromium canvas vs training's decoder", () => {
  it.each([
    { width: 640, height: 480, spec: DEFAULT_PREPROCESS },
    { width: 301, height: 517, spec: { ...DEFAULT_PREPROCESS, inputSize: 96, range: [0, 1] as [number, number] } },
  ])("gives identical bytes for a $width x $height PNG", async ({ width, height, spec }) => {
    const png = await fixturePng({ width, height, seed: width });
    const browser = await browserSide(png, "image/png", spec);
    expect(browser.length).toBe(spec.inputSize * spec.inputSize * 3);
    expect(await sha256Hex(bytesOf(browser))).toBe(await sha256Hex(bytesOf(await nodeSide(png, spec))));
  });

  it("agrees on a JPEG within the decoders' rounding", async () => {
    const jpeg = await sharp(await fixturePng({ width: 640, height: 480, seed: 7 }))
      .jpeg({ quality: 85 })
      .toBuffer();
    const { mean, max } = difference(
      await browserSide(jpeg, "image/jpeg", DEFAULT_PREPROCESS),
      await nodeSide(jpeg, DEFAULT_PREPROCESS),
    );
    // One level of 255 is 2/255 ≈ 0.008 in [-1, 1].
    expect(mean).toBeLessThan(0.008);
    expect(max).toBeLessThan(0.1);
  });

  it("converts a Display P3 JPEG to sRGB colours, in both", async () => {
    const source = await fixturePng({ width: 320, height: 240, seed: 11 });
    // The same picture stored in P3 numbers with its profile attached, as an iPhone stores photos.
    const p3 = await sharp(source).withIccProfile("p3").jpeg({ quality: 95 }).toBuffer();
    const srgb = await sharp(source).jpeg({ quality: 95 }).toBuffer();
    const spec = { ...DEFAULT_PREPROCESS, inputSize: 96 };
    const expected = await nodeSide(srgb, spec);
    for (const decoded of [await browserSide(p3, "image/jpeg", spec), await nodeSide(p3, spec)]) {
      expect(difference(decoded, expected).mean).toBeLessThan(0.008);
    }
    // Not merely alike: read as if they were sRGB, the P3 numbers are off by more.
    const { data, info } = await sharp(p3).keepIccProfile().raw().toBuffer({ resolveWithObject: true });
    const asIfSrgb = preprocess(
      { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 },
      spec,
    );
    expect(difference(asIfSrgb, expected).mean).toBeGreaterThan(0.012);
  });

  it("turns a phone JPEG the way its EXIF orientation says, in both", async () => {
    // Stored 640 x 480 and tagged "rotate 90° clockwise to view" (orientation 6): seen as 480 x 640.
    // Dark on the left, bright on the right, so a photo the wrong way up cannot pass for the right one.
    const [width, height] = [640, 480];
    const ramp = Buffer.alloc(width * height * 3);
    for (let i = 0; i < width * height; i++) ramp.fill(Math.round((255 * (i % width)) / width), i * 3, i * 3 + 3);
    const photo = await sharp(ramp, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer();
    const tagged = await sharp(photo).jpeg({ quality: 90 }).withMetadata({ orientation: 6 }).toBuffer();
    const upright = await sharp(photo).rotate(90).jpeg({ quality: 90 }).toBuffer();
    const spec = { ...DEFAULT_PREPROCESS, inputSize: 64 };
    const expected = await nodeSide(upright, spec);
    for (const decoded of [await browserSide(tagged, "image/jpeg", spec), await nodeSide(tagged, spec)]) {
      expect(difference(decoded, expected).mean).toBeLessThan(0.02);
    }
    // Not merely alike: the photo left unturned is far from it.
    const unturned = await nodeSide(await sharp(photo).jpeg({ quality: 90 }).toBuffer(), spec);
    expect(difference(unturned, expected).mean).toBeGreaterThan(0.3);
  });
});
