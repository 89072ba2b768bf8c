import { createHash } from "node:crypto";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { DEFAULT_PREPROCESS, PreprocessError, PreprocessSpecSchema, preprocess, type RawImage } from "./preprocess.js";

function gradient(width: number, height: number, channels: 3 | 4): RawImage {
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * channels;
      data[p] = (x * 255) / (width - 1);
      data[p + 1] = (y * 255) / (height - 1);
      data[p + 2] = (x + y) % 256;
      if (channels === 4) data[p + 3] = 255;
    }
  }
  return { data, width, height, channels };
}

const digest = (a: Float32Array) => createHash("sha256").update(new Uint8Array(a.buffer)).digest("hex");

describe("preprocess", () => {
  it("gives identical bytes from sharp's RGB and a canvas-style RGBA decode of the same image", async () => {
    const png = await sharp(Buffer.from(gradient(300, 400, 3).data), { raw: { width: 300, height: 400, channels: 3 } })
      .png()
      .toBuffer();
    const rgb = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const rgba = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const fromNode = preprocess({ data: rgb.data, width: rgb.info.width, height: rgb.info.height, channels: 3 });
    const fromBrowserPath = preprocess({
      data: new Uint8ClampedArray(rgba.data),
      width: rgba.info.width,
      height: rgba.info.height,
      channels: 4,
    });
    expect(fromNode.length).toBe(224 * 224 * 3);
    expect(digest(fromBrowserPath)).toBe(digest(fromNode));
  });

  it("is deterministic run to run", () => {
    const image = gradient(640, 480, 3);
    expect(digest(preprocess(image))).toBe(digest(preprocess(image)));
  });

  it("maps 0..255 onto the declared range", () => {
    const black = { data: new Uint8Array(50 * 50 * 3), width: 50, height: 50, channels: 3 as const };
    const white = { ...black, data: new Uint8Array(50 * 50 * 3).fill(255) };
    const spec = { ...DEFAULT_PREPROCESS, inputSize: 16 };
    expect(new Set(preprocess(black, spec))).toEqual(new Set([-1]));
    expect(new Set(preprocess(white, spec))).toEqual(new Set([1]));
    expect(new Set(preprocess(white, { ...spec, range: [0, 1] }))).toEqual(new Set([1]));
  });

  it("keeps an image already at the input size unchanged", () => {
    const image = gradient(32, 32, 3);
    const out = preprocess(image, { ...DEFAULT_PREPROCESS, inputSize: 32, range: [0, 255] });
    expect(Array.from(out)).toEqual(Array.from(image.data));
  });

  it("crops the centre square of a wide image", () => {
    // Left third red, middle third green, right third blue: only green survives the crop.
    const width = 90;
    const height = 30;
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) data[(y * width + x) * 3 + Math.floor(x / 30)] = 255;
    const out = preprocess(
      { data, width, height, channels: 3 },
      { ...DEFAULT_PREPROCESS, inputSize: 10, range: [0, 1] },
    );
    for (let i = 0; i < out.length; i += 3) expect([out[i], out[i + 1], out[i + 2]]).toEqual([0, 1, 0]);
  });

  it("averages fine detail when shrinking a large photo instead of aliasing", () => {
    // A 1-pixel checkerboard shrunk 20x should become flat grey, not a random pattern.
    const size = 2240;
    const data = new Uint8Array(size * size * 3);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) data.fill((x + y) % 2 ? 255 : 0, (y * size + x) * 3, (y * size + x) * 3 + 3);
    const out = preprocess(
      { data, width: size, height: size, channels: 3 },
      { ...DEFAULT_PREPROCESS, inputSize: 112, range: [0, 255] },
    );
    for (const v of out) expect(Math.abs(v - 127.5)).toBeLessThan(3);
  });

  it("rejects a buffer that does not match the stated size", () => {
    expect(() => preprocess({ data: new Uint8Array(10), width: 4, height: 4, channels: 3 })).toThrow(PreprocessError);
    expect(() => preprocess({ data: new Uint8Array(0), width: 0, height: 0, channels: 3 })).toThrow(/positive/);
  });

  it("validates specs", () => {
    expect(PreprocessSpecSchema.safeParse(DEFAULT_PREPROCESS).success).toBe(true);
    expect(PreprocessSpecSchema.safeParse({ ...DEFAULT_PREPROCESS, range: [1, -1] }).success).toBe(false);
    expect(PreprocessSpecSchema.safeParse({ ...DEFAULT_PREPROCESS, resize: "stretch" }).success).toBe(false);
  });
});
