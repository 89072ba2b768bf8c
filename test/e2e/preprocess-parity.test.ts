/**
 * The preprocessing contract across engines: the same PNG decoded by Chromium (the app's own
 * createImageBitmap + canvas path) and by sharp in Node gives byte-identical `preprocess` output.
 */
import { DEFAULT_PREPROCESS, preprocess, sha256Hex } from "@pifu/core";
import { build } from "esbuild";
import type { Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Chromium, launchChromium } from "./browser.js";
import { fixturePng } from "./fixture-image.js";

let browser: Chromium;
let page: Page;

/** The browser side: the app's decode functions and core's preprocess, bundled for the page. */
const ENTRY = `
import { preprocess } from "@pifu/core";
import { decodeBitmap, readPixels } from "./pwa/src/image/decode.ts";
globalThis.preprocessInBrowser = async (base64, spec) => {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const bitmap = await decodeBitmap(new Blob([bytes], { type: "image/png" }));
  const out = preprocess(readPixels(bitmap), spec);
  let text = "";
  const raw = new Uint8Array(out.buffer);
  for (let i = 0; i < raw.length; i += 0x8000) text += String.fromCharCode(...raw.subarray(i, i + 0x8000));
  return btoa(text);
};
`;

async function nodeSide(png: Buffer, spec = DEFAULT_PREPROCESS): Promise<string> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const out = preprocess({ data, width: info.width, height: info.height, channels: info.channels as 3 | 4 }, spec);
  return sha256Hex(new Uint8Array(out.buffer));
}

beforeAll(async () => {
  browser = await launchChromium();
  const bundle = await build({
    stdin: { contents: ENTRY, resolveDir: `${import.meta.dirname}/../..`, loader: "ts" },
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
  });
  page = await browser.context.newPage();
  await page.goto("about:blank");
  await page.addScriptTag({ content: bundle.outputFiles[0]?.text ?? "" });
});

afterAll(async () => {
  await browser?.close();
});

describe("preprocess parity, Chromium canvas vs sharp", () => {
  it.each([
    { width: 640, height: 480, spec: DEFAULT_PREPROCESS },
    { width: 301, height: 517, spec: { ...DEFAULT_PREPROCESS, inputSize: 96, range: [0, 1] as [number, number] } },
  ])("gives identical bytes for a $width x $height PNG", async ({ width, height, spec }) => {
    const png = await fixturePng({ width, height, seed: width });
    const base64 = await page.evaluate(
      ([data, s]) =>
        (
          globalThis as unknown as { preprocessInBrowser: (d: string, s: unknown) => Promise<string> }
        ).preprocessInBrowser(data, s),
      [png.toString("base64"), spec] as const,
    );
    const browserBytes = new Uint8Array(Buffer.from(base64, "base64"));
    expect(browserBytes.byteLength).toBe(spec.inputSize * spec.inputSize * 3 * 4);
    expect(await sha256Hex(browserBytes)).toBe(await nodeSide(png, spec));
  });
});
