/**
 * Mini-batch training of a classifier on batches from a source (cached features or cut activations,
 * or freshly augmented photos) with the engine's losses, optional multi-teacher distillation and a
 * sample schedule (curriculum).
 */

import { tf } from "../backend/index.js";
import type { Rng } from "../data/rng.js";
import type { ViewName } from "../student/cache-store.js";
import type { Loss } from "../train/losses.js";
import { cosineLearningRate } from "../train/schedule.js";
import type { BatchSource } from "./batches.js";
import { kdLoss, mixedKdLoss } from "./kd-loss.js";

export interface KdTargets {
  /** Variant → teacher logits [n, K] (each row filled on its teacher's classes). */
  teacherLogits: Map<ViewName, Float32Array>;
  /** [n, K]: 1 on the classes of the sample's teacher. */
  mask: Float32Array;
  temperature: number;
  alpha: number;
}

export interface TrainerOptions {
  /** Logits for a batch; `training` switches dropout on. */
  forward: (x: tf.Tensor, training: boolean) => tf.Tensor2D;
  source: BatchSource;
  labels: Int32Array;
  numClasses: number;
  loss: Loss;
  kd?: KdTargets;
  /** Epoch → indices of the samples to use. */
  schedule: (epoch: number) => number[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** These variables learn at `learningRate · scale` (one Adam of their own); all others at `learningRate`. */
  slower?: { variables: readonly tf.Variable[]; scale: number };
  rng: Rng;
  onEpoch?: (epoch: number, meanLoss: number) => void;
  /** Asked after each epoch (after onEpoch); true ends training early. */
  stop?: (epoch: number) => boolean;
}

/** Teacher logits for a variant the teachers were not run on fall back to the nearest flip. */
function teacherVariant(kd: KdTargets, variant: ViewName): Float32Array {
  const found = kd.teacherLogits.get(variant) ?? kd.teacherLogits.get(variant === "hv" ? "h" : "id");
  if (!found) throw new Error(`no teacher logits for variant ${variant}`);
  return found;
}

interface BatchTargets {
  labels: Int32Array;
  /** [rows, K] teacher logits and class masks; absent without distillation. */
  teacher?: Float32Array;
  mask?: Float32Array;
}

/** The label and distillation target of each sample, row j taken from sample `samples[j]` in view `views[j]`. */
function gatherTargets(
  options: Pick<TrainerOptions, "labels" | "numClasses" | "kd">,
  samples: readonly number[],
  views: readonly ViewName[],
): BatchTargets {
  const { labels, numClasses: k, kd } = options;
  const targets: BatchTargets = { labels: Int32Array.from(samples, (i) => labels[i] as number) };
  if (!kd) return targets;
  const teacher = new Float32Array(samples.length * k);
  const mask = new Float32Array(samples.length * k);
  for (const [j, i] of samples.entries()) {
    teacher.set(teacherVariant(kd, views[j] as ViewName).subarray(i * k, (i + 1) * k), j * k);
    mask.set(kd.mask.subarray(i * k, (i + 1) * k), j * k);
  }
  return { ...targets, teacher, mask };
}

export function trainClassifier(options: TrainerOptions): void {
  const { source, numClasses, loss, kd, rng, batchSize } = options;
  const optimizer = tf.train.adam(options.learningRate);
  const slower = options.slower && options.slower.scale !== 1 ? options.slower : undefined;
  const slowOptimizer = slower ? tf.train.adam(options.learningRate * slower.scale) : undefined;
  const slowNames = new Set(slower?.variables.map((v) => v.name));
  const stepsPerEpoch = (epoch: number) => Math.ceil(options.schedule(epoch).length / batchSize);
  let totalSteps = 0;
  for (let e = 0; e < options.epochs; e++) totalSteps += stepsPerEpoch(e);
  let step = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const order = rng.shuffle([...options.schedule(epoch)]);
    let lossSum = 0;
    let batches = 0;
    for (let start = 0; start < order.length; start += batchSize) {
      const batch = order.slice(start, start + batchSize);
      const { x: xs, views, mix } = source.batch(batch, rng);
      const own = gatherTargets(options, batch, views);
      const partner = mix
        ? gatherTargets(
            options,
            Array.from(mix.partner, (p) => batch[p] as number),
            Array.from(mix.partner, (p) => views[p] as ViewName),
          )
        : own;
      const learningRate = cosineLearningRate(step, totalSteps, options.learningRate, options.learningRate * 0.01);
      (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
      if (slowOptimizer && slower)
        (slowOptimizer as unknown as { learningRate: number }).learningRate = learningRate * slower.scale;
      const batchLoss = () => {
        const n = batch.length;
        const ys = tf.tensor1d(own.labels, "int32");
        const yb = mix ? tf.tensor1d(partner.labels, "int32") : ys;
        const lambda = mix ? tf.tensor1d(mix.lambda) : (tf.ones([n]) as tf.Tensor1D);
        const logits = options.forward(xs, true);
        let total = loss.compute(logits, { a: ys, b: yb, lambda });
        if (kd && own.teacher && partner.teacher) {
          const teacherOf = (t: BatchTargets) => ({
            teacherLogits: tf.tensor2d(t.teacher as Float32Array, [n, numClasses]),
            classMask: tf.tensor2d(t.mask as Float32Array, [n, numClasses]),
          });
          const ownTeacher = teacherOf(own);
          const term = mix
            ? mixedKdLoss(logits, ownTeacher, teacherOf(partner), lambda, kd.temperature, kd.alpha)
            : kdLoss(logits, ownTeacher.teacherLogits, ownTeacher.classMask, kd.temperature, kd.alpha);
          total = tf.add(total, term) as tf.Scalar;
        }
        return total;
      };
      const value = slowOptimizer
        ? stepTwoRates(batchLoss, optimizer, slowOptimizer, slowNames)
        : optimizer.minimize(batchLoss, true);
      lossSum += value ? (value.dataSync()[0] as number) : 0;
      value?.dispose();
      xs.dispose();
      batches++;
      step++;
    }
    options.onEpoch?.(epoch, lossSum / Math.max(1, batches));
    if (options.stop?.(epoch)) break;
  }
  optimizer.dispose();
  slowOptimizer?.dispose();
}

/** One step where the variables named in `slowNames` are updated by `slow`, the rest by `fast`. */
function stepTwoRates(
  batchLoss: () => tf.Scalar,
  fast: tf.Optimizer,
  slow: tf.Optimizer,
  slowNames: ReadonlySet<string>,
): tf.Scalar {
  const { value, grads } = tf.variableGrads(batchLoss);
  const fastGrads: tf.NamedTensorMap = {};
  const slowGrads: tf.NamedTensorMap = {};
  for (const [name, grad] of Object.entries(grads)) (slowNames.has(name) ? slowGrads : fastGrads)[name] = grad;
  fast.applyGradients(fastGrads);
  if (Object.keys(slowGrads).length > 0) slow.applyGradients(slowGrads);
  tf.dispose(grads);
  return value;
}
