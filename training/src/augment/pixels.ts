/**
 * Photometric and geometric augmentation on decoded RGB pixels (before core `preprocess`, so the
 * model still sees exactly the preprocessing the phone applies). Pure JS, driven by the run's Rng.
 */
import type { RawImage } from "@pifu/core";
import type { Rng } from "../data/rng.js";

export interface AugmentSpec {
  hflip?: boolean;
  vflip?: boolean;
  /** Maximum rotation in degrees, drawn uniformly from [-rotate, rotate]. */
  rotate?: number;
  /** Random resized crop: area fraction range and aspect-ratio range (torchvision's defaults: [0.08, 1], [3/4, 4/3]). */
  crop?: { scale: [number, number]; ratio: [number, number] };
  /** Colour jitter strengths: each factor is drawn from [1 - s, 1 + s]. */
  jitter?: { brightness: number; contrast: number; saturation: number };
}

/** The augmentation of the seed report: flips and rotation; plus crop and jitter for the milder and stronger runs. */
export const AUGMENT_PRESETS: Record<string, AugmentSpec> = {
  none: {},
  flip: { hflip: true },
  report: { hflip: true, vflip: true, rotate: 30 },
  /** Close to the centre crop a frozen backbone sees at test time: small crops and colour shifts. */
  mild: {
    hflip: true,
    vflip: true,
    crop: { scale: [0.7, 1], ratio: [3 / 4, 4 / 3] },
    jitter: { brightness: 0.1, contrast: 0.1, saturation: 0.1 },
  },
  strong: {
    hflip: true,
    vflip: true,
    rotate: 30,
    crop: { scale: [0.5, 1], ratio: [3 / 4, 4 / 3] },
    jitter: { brightness: 0.2, contrast: 0.2, saturation: 0.2 },
  },
};

function to3(image: RawImage): RawImage {
  if (image.channels === 3) return image;
  const { width, height, data } = image;
  const out = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < out.length; i += 3, j += 4) {
    out[i] = data[j] as number;
    out[i + 1] = data[j + 1] as number;
    out[i + 2] = data[j + 2] as number;
  }
  return { data: out, width, height, channels: 3 };
}

export function flipHorizontal(image: RawImage): RawImage {
  const { width, height, data } = to3(image);
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const src = (y * width + x) * 3;
      const dst = (y * width + (width - 1 - x)) * 3;
      out[dst] = data[src] as number;
      out[dst + 1] = data[src + 1] as number;
      out[dst + 2] = data[src + 2] as number;
    }
  }
  return { data: out, width, height, channels: 3 };
}

export function flipVertical(image: RawImage): RawImage {
  const { width, height, data } = to3(image);
  const out = new Uint8Array(data.length);
  const row = width * 3;
  for (let y = 0; y < height; y++) out.set(data.subarray(y * row, (y + 1) * row), (height - 1 - y) * row);
  return { data: out, width, height, channels: 3 };
}

/** Rotation about the centre, bilinear, same canvas size; edges are replicated so no black corners appear. */
export function rotate(image: RawImage, degrees: number): RawImage {
  const { width, height, data } = to3(image);
  const out = new Uint8Array(data.length);
  const rad = (degrees * Math.PI) / 180;
  const cos = Math.cos(rad);
  const sin = Math.sin(rad);
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = x - cx;
      const dy = y - cy;
      const sx = Math.min(width - 1, Math.max(0, cos * dx + sin * dy + cx));
      const sy = Math.min(height - 1, Math.max(0, -sin * dx + cos * dy + cy));
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = Math.min(width - 1, x0 + 1);
      const y1 = Math.min(height - 1, y0 + 1);
      const fx = sx - x0;
      const fy = sy - y0;
      for (let c = 0; c < 3; c++) {
        const a = data[(y0 * width + x0) * 3 + c] as number;
        const b = data[(y0 * width + x1) * 3 + c] as number;
        const d = data[(y1 * width + x0) * 3 + c] as number;
        const e = data[(y1 * width + x1) * 3 + c] as number;
        out[(y * width + x) * 3 + c] = Math.round((a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy);
      }
    }
  }
  return { data: out, width, height, channels: 3 };
}

export function cropImage(image: RawImage, x0: number, y0: number, w: number, h: number): RawImage {
  const { width, data } = to3(image);
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    out.set(data.subarray(((y0 + y) * width + x0) * 3, ((y0 + y) * width + x0 + w) * 3), y * w * 3);
  return { data: out, width: w, height: h, channels: 3 };
}

/** torchvision-style RandomResizedCrop box (10 tries, then the centred full square). */
export function randomCropBox(
  width: number,
  height: number,
  scale: [number, number],
  ratio: [number, number],
  rng: Rng,
): { x: number; y: number; w: number; h: number } {
  const area = width * height;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])] as const;
  for (let i = 0; i < 10; i++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logRatio[0], logRatio[1]));
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      return { x: rng.int(width - w + 1), y: rng.int(height - h + 1), w, h };
    }
  }
  const side = Math.min(width, height);
  return { x: Math.floor((width - side) / 2), y: Math.floor((height - side) / 2), w: side, h: side };
}

export function colourJitter(image: RawImage, brightness: number, contrast: number, saturation: number): RawImage {
  const { width, height, data } = to3(image);
  const n = width * height;
  let meanGrey = 0;
  for (let i = 0; i < n; i++) {
    meanGrey +=
      0.299 * (data[i * 3] as number) + 0.587 * (data[i * 3 + 1] as number) + 0.114 * (data[i * 3 + 2] as number);
  }
  meanGrey = (meanGrey / n) * brightness;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < n; i++) {
    const r = (data[i * 3] as number) * brightness;
    const g = (data[i * 3 + 1] as number) * brightness;
    const b = (data[i * 3 + 2] as number) * brightness;
    const grey = 0.299 * r + 0.587 * g + 0.114 * b;
    for (const [c, v] of [r, g, b].entries()) {
      const saturated = grey + (v - grey) * saturation;
      out[i * 3 + c] = Math.min(255, Math.max(0, Math.round(meanGrey + (saturated - meanGrey) * contrast)));
    }
  }
  return { data: out, width, height, channels: 3 };
}

/** Applies one random draw of `spec`. The draw order is fixed, so a given Rng state gives one image. */
export function augmentImage(image: RawImage, spec: AugmentSpec, rng: Rng): RawImage {
  let out = to3(image);
  if (spec.crop) {
    const box = randomCropBox(out.width, out.height, spec.crop.scale, spec.crop.ratio, rng);
    out = cropImage(out, box.x, box.y, box.w, box.h);
  }
  if (spec.hflip && rng.bool()) out = flipHorizontal(out);
  if (spec.vflip && rng.bool()) out = flipVertical(out);
  if (spec.rotate) out = rotate(out, rng.uniform(-spec.rotate, spec.rotate));
  if (spec.jitter) {
    const { brightness, contrast, saturation } = spec.jitter;
    out = colourJitter(
      out,
      rng.uniform(1 - brightness, 1 + brightness),
      rng.uniform(1 - contrast, 1 + contrast),
      rng.uniform(1 - saturation, 1 + saturation),
    );
  }
  return out;
}
