/** The flip variants used as cached augmentation: skin photos have no canonical orientation. */
import { tf } from "../backend/index.js";

export const FLIP_VARIANTS = ["id", "h", "v", "hv"] as const;
export type FlipVariant = (typeof FLIP_VARIANTS)[number];

/** Flips an NHWC batch: h mirrors left-right, v top-bottom. */
export function flipBatch(batch: tf.Tensor4D, variant: FlipVariant): tf.Tensor4D {
  if (variant === "id") return batch.clone();
  const axes = variant === "h" ? [2] : variant === "v" ? [1] : [1, 2];
  return tf.reverse(batch, axes);
}
