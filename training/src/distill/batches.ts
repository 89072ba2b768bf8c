/**
 * Where a training batch comes from: rows of cached inputs (features or cut activations, one random
 * cached view per sample), or anything else that can build a batch tensor for a list of sample
 * indices, such as freshly augmented photos run through a frozen trunk (student/image-batches.ts).
 */
import { tf } from "../backend/index.js";
import type { Rng } from "../data/rng.js";
import type { ViewName } from "../student/cache-store.js";

export interface TrainBatch {
  /** [batch, ...rowShape]; the trainer disposes it after the step. */
  x: tf.Tensor;
  /** The view each row was taken from; it picks the row's distillation target. */
  views: ViewName[];
  /**
   * Present when rows were mixed (mixup/CutMix): row j is `lambda[j]` of its own sample and
   * 1 − `lambda[j]` of the sample at batch position `partner[j]` (itself where the row is unmixed).
   */
  mix?: { partner: Int32Array; lambda: Float32Array };
}

export interface BatchSource {
  batch(indices: readonly number[], rng: Rng): TrainBatch;
}

/** Batches of cached rows; each sample is drawn from one randomly chosen cached view. */
export function cachedBatches(inputs: ReadonlyMap<ViewName, Float32Array>, rowShape: readonly number[]): BatchSource {
  const views = [...inputs.keys()];
  if (views.length === 0) throw new Error("cachedBatches needs at least one cached view");
  const rowSize = rowShape.reduce((a, b) => a * b, 1);
  return {
    batch(indices, rng) {
      const x = new Float32Array(indices.length * rowSize);
      const picked: ViewName[] = [];
      for (const [j, i] of indices.entries()) {
        const view = views[rng.int(views.length)] as ViewName;
        x.set((inputs.get(view) as Float32Array).subarray(i * rowSize, (i + 1) * rowSize), j * rowSize);
        picked.push(view);
      }
      return { x: tf.tensor(x, [indices.length, ...rowShape]), views: picked };
    },
  };
}
