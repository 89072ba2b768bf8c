/**
 * Test-time augmentation: a model card may ask for each photo to be run in several flipped views
 * (skin photos have no canonical orientation) and the views' logits to be averaged before the
 * calibration temperature and the unsure rule apply. The card's temperature and threshold were
 * fitted on logits averaged the same way, so every runner must use these functions.
 */
import { z } from "zod";

/** id: as preprocessed; h: mirrored left-right; v: top-bottom; hv: both (a 180° turn). */
export const FLIP_VARIANTS = ["id", "h", "v", "hv"] as const;
export type FlipVariant = (typeof FLIP_VARIANTS)[number];

export const TestTimeAugmentationSchema = z.strictObject({
  flips: z
    .array(z.enum(FLIP_VARIANTS))
    .min(1)
    .refine((flips) => new Set(flips).size === flips.length, "flips must not repeat"),
  combine: z.literal("mean-logits"),
});
export type TestTimeAugmentation = z.infer<typeof TestTimeAugmentationSchema>;

/** The views a card asks for; a card without test-time augmentation runs the photo once, unflipped. */
export function testTimeFlips(card: { testTimeAugmentation?: TestTimeAugmentation | undefined }): FlipVariant[] {
  return card.testTimeAugmentation?.flips ?? ["id"];
}

/** Flips one preprocessed square image (side × side × 3, HWC), returning a new array. */
export function flipImage(input: Float32Array, side: number, flip: FlipVariant): Float32Array {
  if (input.length !== side * side * 3) {
    throw new RangeError(`input holds ${input.length} values, expected ${side}×${side}×3 = ${side * side * 3}`);
  }
  if (flip === "id") return input.slice();
  const mirrorX = flip === "h" || flip === "hv";
  const mirrorY = flip === "v" || flip === "hv";
  const out = new Float32Array(input.length);
  for (let y = 0; y < side; y++) {
    const fromY = mirrorY ? side - 1 - y : y;
    for (let x = 0; x < side; x++) {
      const from = (fromY * side + (mirrorX ? side - 1 - x : x)) * 3;
      out.set(input.subarray(from, from + 3), (y * side + x) * 3);
    }
  }
  return out;
}

/**
 * The model input batch for one or more preprocessed images laid out back to back (HWC each): each
 * image's views in `flips` order, image after image (the layout `meanOverViews` reads).
 */
export function viewBatch(images: Float32Array, side: number, flips: readonly FlipVariant[]): Float32Array {
  const imageLength = side * side * 3;
  const count = images.length / imageLength;
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`input holds ${images.length} values, not a whole number of ${side}×${side}×3 images`);
  }
  const batch = new Float32Array(images.length * flips.length);
  for (let image = 0; image < count; image++) {
    const pixels = images.subarray(image * imageLength, (image + 1) * imageLength);
    for (const [i, flip] of flips.entries()) {
      batch.set(flipImage(pixels, side, flip), (image * flips.length + i) * imageLength);
    }
  }
  return batch;
}

/** Element-wise mean of equally long logit arrays, one per view. */
export function meanLogits(views: readonly ArrayLike<number>[]): Float32Array {
  const [first] = views;
  if (!first) throw new RangeError("meanLogits needs at least one view");
  if (views.some((v) => v.length !== first.length)) throw new RangeError("every view must hold as many logits");
  const out = new Float32Array(first.length);
  for (const view of views) for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + (view[i] as number);
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / views.length;
  return out;
}

/**
 * The mean of each image's `views` consecutive rows of `classes` logits: [images·views, classes] in,
 * [images, classes] out (the layout `viewBatch` produces, image after image).
 */
export function meanOverViews(logits: Float32Array, views: number, classes: number): Float32Array {
  if (!Number.isInteger(views) || views < 1) throw new RangeError(`views must be a positive integer, got ${views}`);
  const images = logits.length / (views * classes);
  if (!Number.isInteger(images)) {
    throw new RangeError(`${logits.length} logits do not split into rows of ${views} views × ${classes} classes`);
  }
  const out = new Float32Array(images * classes);
  for (let i = 0; i < images; i++) {
    const rows = Array.from({ length: views }, (_, v) =>
      logits.subarray((i * views + v) * classes, (i * views + v + 1) * classes),
    );
    out.set(meanLogits(rows), i * classes);
  }
  return out;
}
