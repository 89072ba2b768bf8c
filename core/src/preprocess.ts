/**
 * The preprocessing contract: the one function that turns decoded pixels into model input, in Node
 * (pixels from sharp) and in the browser (pixels from a canvas) alike. Plain TypeScript with no tfjs
 * and no I/O, so the same bytes come out everywhere.
 */
import { z } from "zod";

export const PreprocessSpecSchema = z.strictObject({
  /** Square model input side in pixels. */
  inputSize: z.number().int().min(8).max(1024),
  /** Crop the centred square of side min(width, height), then resample it to inputSize. */
  resize: z.literal("center-crop-square"),
  /** Antialiased (triangle filter widened by the scale factor) so large phone photos do not alias. */
  interpolation: z.literal("antialiased-bilinear"),
  /** RGB 0..255 is mapped linearly onto [min, max]. */
  range: z.tuple([z.number(), z.number()]).refine(([lo, hi]) => lo < hi, "range must be [min, max] with min < max"),
});
export type PreprocessSpec = z.infer<typeof PreprocessSpecSchema>;

export const DEFAULT_PREPROCESS: PreprocessSpec = {
  inputSize: 224,
  resize: "center-crop-square",
  interpolation: "antialiased-bilinear",
  range: [-1, 1],
};

/** Decoded pixels, row-major, interleaved channels: 3 (RGB, e.g. sharp raw) or 4 (RGBA, canvas). */
export interface RawImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 3 | 4;
}

export class PreprocessError extends Error {
  override name = "PreprocessError";
}

interface Taps {
  start: Int32Array;
  count: Int32Array;
  weights: Float64Array;
  maxTaps: number;
}

/** Resampling taps for mapping `srcLen` source pixels starting at `srcStart` onto `dstLen` pixels. */
function computeTaps(srcStart: number, srcLen: number, dstLen: number): Taps {
  const scale = srcLen / dstLen;
  const support = Math.max(scale, 1);
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(dstLen);
  const count = new Int32Array(dstLen);
  const weights = new Float64Array(dstLen * maxTaps);
  for (let i = 0; i < dstLen; i++) {
    const center = srcStart + (i + 0.5) * scale;
    // Taps stay inside the crop box: pixels outside it are not part of the image the model sees.
    const lo = Math.max(srcStart, Math.floor(center - support));
    const hi = Math.min(srcStart + srcLen, Math.ceil(center + support));
    let first = -1;
    let n = 0;
    let total = 0;
    for (let j = lo; j < hi && n < maxTaps; j++) {
      const w = 1 - Math.abs((j + 0.5 - center) / support);
      if (w <= 0) continue;
      if (first < 0) first = j;
      weights[i * maxTaps + (j - first)] = w;
      total += w;
      n = j - first + 1;
    }
    start[i] = first;
    count[i] = n;
    for (let k = 0; k < n; k++) weights[i * maxTaps + k] = (weights[i * maxTaps + k] as number) / total;
  }
  return { start, count, weights, maxTaps };
}

function validate(image: RawImage): void {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new PreprocessError(`image size must be positive integers, got ${width}x${height}`);
  }
  if (channels !== 3 && channels !== 4) throw new PreprocessError(`channels must be 3 or 4, got ${channels}`);
  if (data.length !== width * height * channels) {
    throw new PreprocessError(
      `pixel buffer holds ${data.length} bytes, expected ${width}x${height}x${channels} = ${width * height * channels}`,
    );
  }
}

/**
 * Centre-crops, resamples and scales an image to the model's input: a Float32Array of
 * inputSize × inputSize × 3 (HWC, RGB). Alpha, if present, is ignored.
 */
export function preprocess(image: RawImage, spec: PreprocessSpec = DEFAULT_PREPROCESS): Float32Array {
  validate(image);
  const { width, height, channels, data } = image;
  const size = spec.inputSize;
  const side = Math.min(width, height);
  const x0 = Math.floor((width - side) / 2);
  const y0 = Math.floor((height - side) / 2);
  const xTaps = computeTaps(x0, side, size);
  const yTaps = computeTaps(y0, side, size);

  // Horizontal pass over only the rows the vertical pass will read.
  const rowLo = yTaps.start[0] ?? 0;
  const rowHi = (yTaps.start[size - 1] ?? 0) + (yTaps.count[size - 1] ?? 0);
  const tmp = new Float64Array((rowHi - rowLo) * size * 3);
  for (let y = rowLo; y < rowHi; y++) {
    const rowOffset = y * width * channels;
    const tmpOffset = (y - rowLo) * size * 3;
    for (let x = 0; x < size; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      const s = xTaps.start[x] as number;
      const n = xTaps.count[x] as number;
      for (let k = 0; k < n; k++) {
        const w = xTaps.weights[x * xTaps.maxTaps + k] as number;
        const p = rowOffset + (s + k) * channels;
        r += (data[p] as number) * w;
        g += (data[p + 1] as number) * w;
        b += (data[p + 2] as number) * w;
      }
      tmp[tmpOffset + x * 3] = r;
      tmp[tmpOffset + x * 3 + 1] = g;
      tmp[tmpOffset + x * 3 + 2] = b;
    }
  }

  const [lo, hi] = spec.range;
  const scale = (hi - lo) / 255;
  const out = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    const s = yTaps.start[y] as number;
    const n = yTaps.count[y] as number;
    for (let x = 0; x < size * 3; x++) {
      let v = 0;
      for (let k = 0; k < n; k++) {
        v += (tmp[(s + k - rowLo) * size * 3 + x] as number) * (yTaps.weights[y * yTaps.maxTaps + k] as number);
      }
      // Round to the 0..255 grid first so float noise cannot differ between engines.
      out[y * size * 3 + x] = lo + Math.min(255, Math.max(0, Math.round(v * 256) / 256)) * scale;
    }
  }
  return out;
}
