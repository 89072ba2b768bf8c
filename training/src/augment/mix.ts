/**
 * mixup and CutMix on preprocessed model inputs ([s, s, 3] HWC float32). Both return the effective
 * λ: the weight of the first image's label in the λ-mixed loss λ·L(y_a) + (1 − λ)·L(y_b).
 */
import type { Rng } from "../data/rng.js";

export type MixMode = "none" | "mixup" | "cutmix";
export const MIX_MODES: readonly MixMode[] = ["none", "mixup", "cutmix"];

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export function mixupPixels(
  a: Float32Array,
  b: Float32Array,
  lambda: number,
): { pixels: Float32Array; lambda: number } {
  if (a.length !== b.length) throw new RangeError("mixup needs two inputs of the same size");
  const pixels = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) pixels[i] = lambda * (a[i] as number) + (1 - lambda) * (b[i] as number);
  return { pixels, lambda };
}

/**
 * The CutMix box for a drawn λ (Yun et al. 2019): side √(1 − λ) of the image, centre uniform,
 * clipped at the borders. The returned λ is recomputed from the clipped box: 1 − box area / image area.
 */
export function cutmixBox(size: number, lambda: number, rng: Rng): { box: Box; lambda: number } {
  const cut = Math.sqrt(1 - lambda);
  const cw = Math.round(size * cut);
  const ch = Math.round(size * cut);
  const cx = rng.int(size);
  const cy = rng.int(size);
  const x0 = Math.max(0, cx - Math.floor(cw / 2));
  const y0 = Math.max(0, cy - Math.floor(ch / 2));
  const x1 = Math.min(size, cx + Math.ceil(cw / 2));
  const y1 = Math.min(size, cy + Math.ceil(ch / 2));
  const box = { x: x0, y: y0, w: Math.max(0, x1 - x0), h: Math.max(0, y1 - y0) };
  return { box, lambda: 1 - (box.w * box.h) / (size * size) };
}

/** Pastes `box` of b into a. */
export function cutmixPixels(a: Float32Array, b: Float32Array, size: number, box: Box): Float32Array {
  if (a.length !== size * size * 3 || b.length !== a.length)
    throw new RangeError("cutmix needs two [size, size, 3] inputs");
  const pixels = new Float32Array(a);
  for (let y = box.y; y < box.y + box.h; y++) {
    const start = (y * size + box.x) * 3;
    pixels.set(b.subarray(start, start + box.w * 3), start);
  }
  return pixels;
}

export interface MixSpec {
  mode: MixMode;
  /** Beta(α, α) for λ; the report used 1.0 for CutMix and 0.2 to 1.0 for mixup. */
  alpha: number;
}

/** Draws λ and mixes two preprocessed inputs. */
export function mixPixels(
  a: Float32Array,
  b: Float32Array,
  size: number,
  spec: MixSpec,
  rng: Rng,
): { pixels: Float32Array; lambda: number } {
  if (spec.mode === "none") return { pixels: a, lambda: 1 };
  const drawn = rng.beta(spec.alpha);
  if (spec.mode === "mixup") return mixupPixels(a, b, drawn);
  const { box, lambda } = cutmixBox(size, drawn, rng);
  return { pixels: cutmixPixels(a, b, size, box), lambda };
}
