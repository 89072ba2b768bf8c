/** Trains the student's head on frozen pooled features, with or without distillation and curriculum. */

import { type FlipVariant, meanLogits } from "@pifu/core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { tf } from "../backend/index.js";
import { classCounts } from "../data/index.js";
import { Rng } from "../data/rng.js";
import { type BatchSource, cachedBatches } from "../distill/batches.js";
import { curriculumSchedule, fullSchedule } from "../distill/curriculum.js";
import { type KdTargets, trainClassifier } from "../distill/trainer.js";
import { buildHead, forward, predictLogits } from "../train/head.js";
import { createLoss } from "../train/losses.js";
import type { ViewName } from "./cache-store.js";
import type { StudentConfig } from "./config.js";
import type { SplitData } from "./data.js";

export interface HeadRun {
  head: tfl.Sequential;
  valLogits: Float32Array;
}

/**
 * Logits averaged over the test-time flips, as a runner of the exported card computes them (core
 * `meanOverViews`); `predict` maps one variant's cached rows to logits.
 */
export function testTimeLogits(
  predict: (rows: Float32Array) => Float32Array,
  variants: ReadonlyMap<ViewName, Float32Array>,
  flips: readonly FlipVariant[],
): Float32Array {
  return meanLogits(
    flips.map((flip) => {
      const rows = variants.get(flip);
      if (!rows) throw new Error(`the cache lacks the "${flip}" flip variant that test-time augmentation needs`);
      return predict(rows);
    }),
  );
}

export function trainStudentHead(
  config: StudentConfig,
  train: SplitData,
  val: SplitData,
  numClasses: number,
  kd: KdTargets | undefined,
  curriculum: StudentConfig["curriculum"],
  log?: (line: string) => void,
): HeadRun {
  const rng = new Rng(config.seed);
  const head = buildHead(train.studentWidth, numClasses, config.head, config.seed);
  const counts = classCounts(
    Array.from(train.labels, (label) => ({ label })),
    numClasses,
  );
  trainClassifier({
    forward: (x, training) => forward(head, x, training, rng),
    source: cachedBatches(train.student, [train.studentWidth]),
    labels: train.labels,
    numClasses,
    loss: createLoss(config.loss, counts),
    ...(kd ? { kd } : {}),
    schedule: curriculum
      ? curriculumSchedule(train.labels, numClasses, curriculum, rng.fork("curriculum"))
      : fullSchedule(train.labels.length),
    epochs: config.epochs,
    batchSize: config.batchSize,
    learningRate: config.learningRate,
    rng,
    onEpoch: (epoch, loss) => {
      if (log && (epoch % 10 === 9 || epoch === config.epochs - 1))
        log(`  epoch ${epoch + 1}/${config.epochs} loss ${loss.toFixed(4)}`);
    },
  });
  const valLogits = testTimeLogits(
    (rows) => predictLogits(head, rows, [train.studentWidth]),
    val.student,
    config.testTimeFlips,
  );
  return { head, valLogits };
}

/**
 * Fine-tunes the layers of `tail` named in `trainable` (the backbone after the cut) together with the
 * head, on batches of activations at the cut: cached ones (`cachedBatches`) or fresh augmented photos
 * run through the frozen trunk (`augmentedImageBatches`). The whole tail runs in inference mode, so batch
 * norms keep ImageNet's moving statistics. After every epoch the val logits are scored with `select`
 * (score: higher is better; note: other figures for the log line). With `keep: "best"` (default)
 * training stops after `patience` epochs without improvement and the best weights (possibly the
 * starting ones) are restored; with `keep: "last"` it runs every epoch and keeps the final weights,
 * or the mean of the weights at the end of the last `averageLast` epochs, so val only reports and
 * never chooses. Returns the val logits of the kept weights.
 */
export function fineTuneTail(options: {
  tail: tfl.LayersModel;
  head: tfl.Sequential;
  trainable: readonly string[];
  train: { source: BatchSource; labels: Int32Array };
  /** The activation shape at the cut, [height, width, channels]. */
  shape: readonly number[];
  /** Val activations per flip variant; scored over `config.testTimeFlips`. */
  valInputs: ReadonlyMap<ViewName, Float32Array>;
  /** `note`: other val figures for the per-epoch log line (the score alone is noisy on small classes). */
  select: (valLogits: Float32Array) => { score: number; note?: string };
  numClasses: number;
  config: StudentConfig;
  kd: KdTargets | undefined;
  epochs: number;
  learningRate: number;
  /** The tail's share of `learningRate` (the head gets all of it). */
  backboneLrScale: number;
  /** Train on random `cropSize`² crops of the activation maps (validation sees whole maps); default: no crop. */
  cropSize?: number;
  patience: number;
  keep?: "best" | "last";
  /** With keep "last": average the weights at the end of this many final epochs (default 1: the last epoch's). */
  averageLast?: number;
  /** Default 32. */
  batchSize?: number;
  log?: (line: string) => void;
}): Float32Array {
  const { tail, head, config } = options;
  const keepBest = (options.keep ?? "best") === "best";
  for (const layer of tail.layers) layer.trainable = options.trainable.includes(layer.name);
  const rng = new Rng(config.seed + 7);
  const pooled = (x: tf.Tensor) => tf.mean(tail.apply(x, { training: false }) as tf.Tensor, [1, 2]);
  const [height = 0, width = 0] = options.shape;
  const crop = Math.min(options.cropSize ?? height, height, width);
  // A random crop of the activation map per batch: translation and a smaller field of view, as augmentation.
  const randomCrop = (x: tf.Tensor) =>
    crop < height || crop < width
      ? tf.slice(x, [0, rng.int(height - crop + 1), rng.int(width - crop + 1), 0], [-1, crop, crop, -1])
      : x;
  const counts = classCounts(
    Array.from(options.train.labels, (label) => ({ label })),
    options.numClasses,
  );
  const rowSize = options.shape.reduce((a, b) => a * b, 1);
  const predictVariant = (inputs: Float32Array) => {
    const n = inputs.length / rowSize;
    const out = new Float32Array(n * options.numClasses);
    for (let i = 0; i < n; i += 32) {
      const m = Math.min(32, n - i);
      const rows = inputs.subarray(i * rowSize, (i + m) * rowSize);
      const logits = tf.tidy(() => forward(head, pooled(tf.tensor(rows, [m, ...options.shape])), false).dataSync());
      out.set(logits, i * options.numClasses);
    }
    return out;
  };
  const predictVal = () => testTimeLogits(predictVariant, options.valInputs, config.testTimeFlips);
  const scoreVal = (logits: Float32Array) => {
    const { score, note } = options.select(logits);
    return { score, text: `val score ${score.toFixed(4)}${note ? `, ${note}` : ""}` };
  };
  const tracked = [...tail.layers.filter((layer) => layer.trainable), ...head.layers];
  // Only "best" ever restores weights, so only it needs copies of them.
  const snapshot = () => (keepBest ? tracked.map((layer) => layer.getWeights().map((w) => w.clone())) : []);
  let best = { epoch: 0, score: options.select(predictVal()).score, weights: snapshot() };
  const averageLast = keepBest ? 1 : (options.averageLast ?? 1);
  // Averaging a single epoch is keeping it: weights are summed only when there are several.
  const averaged = averageLast > 1 ? new WeightAverage(tracked) : undefined;
  options.log?.(`  before fine-tuning: val score ${best.score.toFixed(4)}`);
  trainClassifier({
    forward: (x, training) => forward(head, pooled(training ? randomCrop(x) : x), training, rng),
    source: options.train.source,
    labels: options.train.labels,
    numClasses: options.numClasses,
    loss: createLoss(config.loss, counts),
    ...(options.kd ? { kd: options.kd } : {}),
    schedule: fullSchedule(options.train.labels.length),
    epochs: options.epochs,
    batchSize: options.batchSize ?? 32,
    learningRate: options.learningRate,
    slower: {
      variables: tail.layers.flatMap((layer) => layer.trainableWeights.map((weight) => weight.read() as tf.Variable)),
      scale: options.backboneLrScale,
    },
    rng,
    onEpoch: (epoch, loss) => {
      const { score, text } = scoreVal(predictVal());
      options.log?.(`  fine-tune epoch ${epoch + 1}/${options.epochs} loss ${loss.toFixed(4)} ${text}`);
      if (score > best.score) {
        for (const ws of best.weights) tf.dispose(ws);
        best = { epoch: epoch + 1, score, weights: snapshot() };
      }
      if (averaged && epoch >= options.epochs - averageLast) averaged.add();
    },
    stop: (epoch) => keepBest && epoch + 1 - best.epoch >= options.patience,
  });
  if (keepBest) {
    options.log?.(`  keeping the weights after epoch ${best.epoch} (val score ${best.score.toFixed(4)})`);
    for (const [i, layer] of tracked.entries()) layer.setWeights(best.weights[i] as tf.Tensor[]);
  } else {
    averaged?.apply();
  }
  averaged?.dispose();
  for (const ws of best.weights) tf.dispose(ws);
  const valLogits = predictVal();
  if (!keepBest)
    options.log?.(
      averaged
        ? `  keeping the mean of the last ${averaged.count} epochs' weights (${scoreVal(valLogits).text})`
        : "  keeping the last epoch's weights",
    );
  return valLogits;
}

/** A running sum of the layers' weights, applied as their mean (stochastic weight averaging over epochs). */
class WeightAverage {
  private sums: tf.Tensor[][] = [];
  count = 0;

  constructor(private readonly layers: readonly tfl.LayersModel["layers"][number][]) {}

  add(): void {
    const current = this.layers.map((layer) => layer.getWeights());
    const next =
      this.count === 0
        ? current.map((ws) => ws.map((w) => w.clone()))
        : this.sums.map((ws, i) => ws.map((sum, j) => tf.add(sum, current[i]?.[j] as tf.Tensor)));
    for (const ws of this.sums) tf.dispose(ws);
    this.sums = next;
    this.count++;
  }

  apply(): void {
    for (const [i, layer] of this.layers.entries()) {
      const means = this.sums[i]?.map((sum) => tf.div(sum, this.count)) ?? [];
      layer.setWeights(means);
      tf.dispose(means);
    }
  }

  dispose(): void {
    for (const ws of this.sums) tf.dispose(ws);
    this.sums = [];
  }
}
