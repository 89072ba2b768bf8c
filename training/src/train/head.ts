/**
 * Classification heads: linear or MLP on features, built as tfjs layers models so they export like
 * any other model. `forward` runs a Sequential head layer by layer so dropout draws its masks from
 * the run's Rng (tfjs's own dropout is not seedable per step); any other LayersModel (a fine-tuning
 * "tail") runs through model.apply.
 */
import * as tfl from "@tensorflow/tfjs-layers";
import { tf } from "../backend/index.js";
import { concatFloat32 } from "../data/float32.js";
import type { Rng } from "../data/rng.js";

export interface HeadSpec {
  /** Hidden layer widths; [] is a linear (softmax-regression) head. */
  hidden: number[];
  dropout: number;
  /**
   * Standardise features with the training rows' mean and variance (a frozen BatchNormalization
   * layer inside the head, so the saved model carries it). Backbones differ in feature scale by
   * orders of magnitude; without this one learning rate cannot suit them all.
   */
  standardize?: boolean;
}

export const LINEAR_HEAD: HeadSpec = { hidden: [], dropout: 0, standardize: true };

export interface FeatureStats {
  mean: Float32Array;
  variance: Float32Array;
}

/** Per-dimension mean and variance of row-major [n, dim] features. */
export function featureStats(x: Float32Array, dim: number): FeatureStats {
  const n = x.length / dim;
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dim; d++) {
      const v = x[i * dim + d] as number;
      mean[d] = (mean[d] as number) + v;
      sq[d] = (sq[d] as number) + v * v;
    }
  }
  const m = new Float32Array(dim);
  const variance = new Float32Array(dim);
  for (let d = 0; d < dim; d++) {
    m[d] = (mean[d] as number) / n;
    variance[d] = Math.max(0, (sq[d] as number) / n - (m[d] as number) ** 2);
  }
  return { mean: m, variance };
}

export function buildHead(
  inputDim: number,
  numClasses: number,
  spec: HeadSpec,
  seed: number,
  stats?: FeatureStats,
): tfl.Sequential {
  const model = tfl.sequential({ name: "head" });
  let first = true;
  const inputShape = () => {
    const shape = first ? [inputDim] : undefined;
    first = false;
    return shape;
  };
  if (spec.standardize && stats) {
    const norm = tfl.layers.batchNormalization({ inputShape: inputShape(), epsilon: 1e-3, name: "head_standardize" });
    model.add(norm);
    norm.setWeights([tf.ones([inputDim]), tf.zeros([inputDim]), tf.tensor1d(stats.mean), tf.tensor1d(stats.variance)]);
    norm.trainable = false;
  }
  for (const [i, width] of spec.hidden.entries()) {
    model.add(
      tfl.layers.dense({
        units: width,
        activation: "relu",
        inputShape: inputShape(),
        kernelInitializer: tfl.initializers.heNormal({ seed: seed + i }),
        name: `head_dense_${i}`,
      }),
    );
    if (spec.dropout > 0) model.add(tfl.layers.dropout({ rate: spec.dropout, name: `head_dropout_${i}` }));
  }
  model.add(
    tfl.layers.dense({
      units: numClasses,
      inputShape: inputShape(),
      kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + spec.hidden.length }),
      name: "head_logits",
    }),
  );
  return model;
}

function seededDropout(x: tf.Tensor, rate: number, rng: Rng): tf.Tensor {
  const size = x.size;
  const mask = new Float32Array(size);
  const keep = 1 - rate;
  for (let i = 0; i < size; i++) mask[i] = rng.next() < keep ? 1 / keep : 0;
  return tf.mul(x, tf.tensor(mask, x.shape));
}

/** Logits for a batch; `rng` is needed in training mode when the model has dropout. */
export function forward(model: tfl.LayersModel, x: tf.Tensor, training: boolean, rng?: Rng): tf.Tensor2D {
  if (!(model instanceof tfl.Sequential)) return model.apply(x, { training }) as tf.Tensor2D;
  let out = x;
  for (const layer of model.layers) {
    if (layer.getClassName() === "Dropout") {
      const rate = (layer.getConfig().rate as number) ?? 0;
      if (training && rate > 0) {
        if (!rng) throw new Error("forward: training with dropout needs an Rng");
        out = seededDropout(out, rate, rng);
      }
    } else if (layer.getClassName() === "BatchNormalization") {
      // The standardising layer always uses its stored statistics.
      out = layer.apply(out, { training: false }) as tf.Tensor;
    } else {
      out = layer.apply(out, { training }) as tf.Tensor;
    }
  }
  return out as tf.Tensor2D;
}

/** Logits for many rows, in batches, as a flat Float32Array [n, classes]. */
export function predictLogits(
  model: tfl.LayersModel,
  x: Float32Array,
  rowShape: readonly number[],
  batchSize = 256,
): Float32Array {
  const rowSize = rowShape.reduce((a, b) => a * b, 1);
  const n = x.length / rowSize;
  const parts: Float32Array[] = [];
  for (let i = 0; i < n; i += batchSize) {
    const m = Math.min(batchSize, n - i);
    parts.push(
      tf.tidy(() => {
        const batch = tf.tensor(x.subarray(i * rowSize, (i + m) * rowSize), [m, ...rowShape]);
        return forward(model, batch, false).dataSync() as Float32Array;
      }),
    );
  }
  return concatFloat32(parts);
}
