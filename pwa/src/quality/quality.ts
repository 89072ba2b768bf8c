/** The photo quality gate: catches photos the model cannot judge fairly, before inference. */
import type { RawImage } from "@pifu/core";

export type QualityProblem = "too_dark" | "too_bright" | "too_blurry" | "too_small";

export interface QualityOptions {
  /** Shorter side of the original photo, in pixels, below which detail is lost. */
  minSide: number;
  /** Mean luminance (0..255) below which the photo is too dark. */
  darkMean: number;
  /** Mean luminance above which, or share of clipped-white pixels above `clippedShare`, it is too bright. */
  brightMean: number;
  clippedShare: number;
  /** Variance of the Laplacian of the grey image below which it is too blurry. */
  minSharpness: number;
}

export const DEFAULT_QUALITY: QualityOptions = {
  minSide: 224,
  darkMean: 45,
  brightMean: 225,
  clippedShare: 0.4,
  minSharpness: 15,
};

export interface QualityReport {
  problems: QualityProblem[];
  /** Mean luminance, 0..255. */
  brightness: number;
  /** Variance of the 4-neighbour Laplacian. */
  sharpness: number;
}

function luminance(image: RawImage): Float32Array {
  const { data, width, height, channels } = image;
  const grey = new Float32Array(width * height);
  for (let i = 0; i < grey.length; i++) {
    const p = i * channels;
    grey[i] = 0.299 * (data[p] as number) + 0.587 * (data[p + 1] as number) + 0.114 * (data[p + 2] as number);
  }
  return grey;
}

function laplacianVariance(grey: Float32Array, width: number, height: number): number {
  let sum = 0;
  let sumSquares = 0;
  let n = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const value =
        (grey[i - 1] as number) +
        (grey[i + 1] as number) +
        (grey[i - width] as number) +
        (grey[i + width] as number) -
        4 * (grey[i] as number);
      sum += value;
      sumSquares += value * value;
      n++;
    }
  }
  if (n === 0) return 0;
  const mean = sum / n;
  return sumSquares / n - mean * mean;
}

/**
 * Judges a photo from `preview`, a copy scaled to at most ~512 px (sharpness depends on that scale),
 * and the original's size.
 */
export function assessQuality(
  preview: RawImage,
  original: { width: number; height: number },
  options: QualityOptions = DEFAULT_QUALITY,
): QualityReport {
  const grey = luminance(preview);
  let total = 0;
  let clipped = 0;
  for (const value of grey) {
    total += value;
    if (value >= 250) clipped++;
  }
  const brightness = grey.length > 0 ? total / grey.length : 0;
  const sharpness = laplacianVariance(grey, preview.width, preview.height);
  const problems: QualityProblem[] = [];
  if (Math.min(original.width, original.height) < options.minSide) problems.push("too_small");
  if (brightness < options.darkMean) problems.push("too_dark");
  if (brightness > options.brightMean || clipped / Math.max(1, grey.length) > options.clippedShare) {
    problems.push("too_bright");
  }
  // A dark or washed-out photo has little contrast anyway; only call it blurry when exposure is fine.
  const exposed = !problems.includes("too_dark") && !problems.includes("too_bright");
  if (exposed && sharpness < options.minSharpness) problems.push("too_blurry");
  return { problems, brightness, sharpness };
}
