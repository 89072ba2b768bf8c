/** Flips tensor batches by the contract's flip names (core `FLIP_VARIANTS`), for cached augmentation. */
import type { FlipVariant } from "@pifu/core";
import { tf } from "../backend/index.js";

/** Flips an NHWC batch: h mirrors left-right, v top-bottom. */
export function flipBatch(batch: tf.Tensor4D, variant: FlipVariant): tf.Tensor4D {
  if (variant === "id") return batch.clone();
  const axes = variant === "h" ? [2] : variant === "v" ? [1] : [1, 2];
  return tf.reverse(batch, axes);
}
