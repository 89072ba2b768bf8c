/** Flag value parsers for the commander CLIs: a clear error naming the flag instead of NaN. */
import { FLIP_VARIANTS, TestTimeAugmentationSchema } from "@pifu/core";

export const num = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got "${value}"`);
  return n;
};

export const int = (name: string) => (value: string) => {
  const n = num(name)(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got "${value}"`);
  return n;
};

/** A square model input side: an integer of at least 32 px (MobileNetV2 downsamples 32×). */
export const side = (name: string) => (value: string) => {
  const n = int(name)(value);
  if (n < 32) throw new Error(`--${name} must be at least 32 px, got ${n}`);
  return n;
};

/** A comma-separated list of the contract's flip views, e.g. "id,h,v,hv" (core test-time augmentation). */
export const flips = (name: string) => (value: string) => {
  const parsed = TestTimeAugmentationSchema.shape.flips.safeParse(value.split(",").map((flip) => flip.trim()));
  if (!parsed.success) {
    throw new Error(`--${name} must list distinct flips out of ${FLIP_VARIANTS.join(", ")}, got "${value}"`);
  }
  return parsed.data;
};
