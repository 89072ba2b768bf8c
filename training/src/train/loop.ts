/**
 * The training loop for a head (or any LayersModel tail) on precomputed rows: features in frozen
 * mode, cached activations when fine-tuning from a named layer. Adam with cosine annealing, the
 * λ-mixed loss, optional in-batch feature mixup, per-epoch validation, model selection and early
 * stopping on validation macro-F1, and per-epoch checkpoints that `resume` continues from.
 */
import { join } from "node:path";
import type * as tfl from "@tensorflow/tfjs-layers";
import { tf } from "../backend/index.js";
import { Rng } from "../data/rng.js";
import { type Evaluation, evaluateProbabilities, softmaxRows } from "../metrics/index.js";
import { hasCheckpoint, loadCheckpoint, saveCheckpoint } from "./checkpoint.js";
import { forward, predictLogits } from "./head.js";
import { createLoss, type LossSpec } from "./losses.js";
import { cosineLearningRate } from "./schedule.js";

export interface TrainingRows {
  /** Row-major [n, ...rowShape]. */
  x: Float32Array;
  rowShape: number[];
  labelA: Int32Array;
  /** Partner labels for pre-mixed rows (equal to labelA otherwise). */
  labelB: Int32Array;
  /** Weight of labelA per row. */
  lambda: Float32Array;
}

export interface EvalRows {
  x: Float32Array;
  rowShape: number[];
  labels: Int32Array;
  sources?: (string | undefined)[];
}

export interface LoopOptions {
  classes: string[];
  /** Training images per class (not rows): class weights and priors come from these. */
  counts: number[];
  loss: LossSpec;
  epochs: number;
  batchSize: number;
  learningRate: number;
  minLearningRate?: number;
  warmupEpochs?: number;
  /** Stop after this many epochs without a better val macro-F1; 0 disables. */
  patience: number;
  seed: number;
  /** In-batch feature-space mixup with Beta(α, α); the frozen-mode stand-in for pixel mixing. */
  featureMixup?: { alpha: number };
  checkpointDir?: string;
  resume?: boolean;
  onEpoch?: (record: EpochRecord) => void;
  onStep?: (step: number, stepsPerEpoch: number, epoch: number) => void;
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  valAccuracy: number;
  valMacroF1: number;
  learningRate: number;
  seconds: number;
}

export interface LoopState {
  epoch: number;
  history: EpochRecord[];
  bestEpoch: number;
  bestMacroF1: number;
  bestAccuracy: number;
  sinceBest: number;
}

export interface LoopResult {
  /** The model, with the best epoch's weights restored. */
  model: tfl.LayersModel;
  history: EpochRecord[];
  bestEpoch: number;
  stoppedEarly: boolean;
  resumedFrom?: number;
  /** Validation evaluation of the selected weights. */
  evaluation: Evaluation;
  valLogits: Float32Array;
}

function rowSizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function meanCrossEntropy(logits: Float32Array, labels: Int32Array, k: number): number {
  const probs = softmaxRows(logits, k);
  let total = 0;
  for (let i = 0; i < labels.length; i++)
    total -= Math.log(Math.max(1e-12, probs[i * k + (labels[i] as number)] as number));
  return total / Math.max(1, labels.length);
}

function setLearningRate(optimizer: tf.AdamOptimizer, lr: number): void {
  // tfjs reads learningRate on every applyGradients call; it is only declared protected.
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}

export async function trainLoop(
  model: tfl.LayersModel,
  train: TrainingRows,
  val: EvalRows,
  options: LoopOptions,
): Promise<LoopResult> {
  const k = options.classes.length;
  const rowSize = rowSizeOf(train.rowShape);
  const n = train.labelA.length;
  if (train.x.length !== n * rowSize)
    throw new RangeError(`train.x holds ${train.x.length} values, expected ${n}×${rowSize}`);
  if (n === 0) throw new RangeError("no training rows");
  const loss = createLoss(options.loss, options.counts);
  const optimizer = tf.train.adam(options.learningRate);
  const stepsPerEpoch = Math.ceil(n / options.batchSize);
  const totalSteps = stepsPerEpoch * options.epochs;
  const warmupSteps = Math.round((options.warmupEpochs ?? 0) * stepsPerEpoch);
  const lastDir = options.checkpointDir ? join(options.checkpointDir, "last") : undefined;
  const bestDir = options.checkpointDir ? join(options.checkpointDir, "best") : undefined;

  let state: LoopState = { epoch: 0, history: [], bestEpoch: 0, bestMacroF1: -1, bestAccuracy: -1, sinceBest: 0 };
  let resumedFrom: number | undefined;
  let bestWeights: tf.Tensor[] | undefined;
  if (options.resume && lastDir && hasCheckpoint(lastDir)) {
    const saved = await loadCheckpoint<LoopState>(lastDir);
    model.setWeights(saved.weights);
    await optimizer.setWeights(saved.optimizer);
    state = saved.state;
    resumedFrom = state.epoch;
    if (bestDir && hasCheckpoint(bestDir)) bestWeights = (await loadCheckpoint<LoopState>(bestDir)).weights;
  }

  const trainable = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  let stoppedEarly = false;
  for (let epoch = state.epoch + 1; epoch <= options.epochs; epoch++) {
    const started = performance.now();
    // One stream per epoch, derived from the seed: a resumed run draws exactly what it would have.
    const rng = new Rng(options.seed).fork(`epoch-${epoch}`);
    const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
    let lossSum = 0;
    let lr = options.learningRate;
    for (let s = 0; s < stepsPerEpoch; s++) {
      const idx = order.slice(s * options.batchSize, (s + 1) * options.batchSize);
      const m = idx.length;
      const xb = new Float32Array(m * rowSize);
      const la = new Int32Array(m);
      const lb = new Int32Array(m);
      const lam = new Float32Array(m);
      for (const [j, i] of idx.entries()) {
        xb.set(train.x.subarray(i * rowSize, (i + 1) * rowSize), j * rowSize);
        la[j] = train.labelA[i] as number;
        lb[j] = train.labelB[i] as number;
        lam[j] = train.lambda[i] as number;
      }
      if (options.featureMixup && m > 1) {
        // Mix each row with a shuffled partner of the batch; pre-mixed rows keep their own pair.
        const partner = rng.shuffle(Array.from({ length: m }, (_, i) => i));
        const mixed = new Float32Array(xb.length);
        const lbMixed = new Int32Array(m);
        const lamMixed = new Float32Array(m);
        for (let j = 0; j < m; j++) {
          const p = partner[j] as number;
          const l = rng.beta(options.featureMixup.alpha);
          for (let d = 0; d < rowSize; d++) {
            mixed[j * rowSize + d] = l * (xb[j * rowSize + d] as number) + (1 - l) * (xb[p * rowSize + d] as number);
          }
          lbMixed[j] = la[p] as number;
          lamMixed[j] = l;
        }
        xb.set(mixed);
        lb.set(lbMixed);
        lam.set(lamMixed);
      }
      const step = (epoch - 1) * stepsPerEpoch + s;
      lr = cosineLearningRate(step, totalSteps, options.learningRate, options.minLearningRate ?? 0, warmupSteps);
      setLearningRate(optimizer, lr);
      const cost = tf.tidy(() => {
        const x = tf.tensor(xb, [m, ...train.rowShape]);
        const targets = { a: tf.tensor1d(la, "int32"), b: tf.tensor1d(lb, "int32"), lambda: tf.tensor1d(lam) };
        return optimizer.minimize(
          () => loss.compute(forward(model, x, true, rng), targets),
          true,
          trainable,
        ) as tf.Scalar;
      });
      lossSum += (cost.dataSync()[0] as number) * m;
      cost.dispose();
      options.onStep?.(s + 1, stepsPerEpoch, epoch);
    }

    const valLogits = predictLogits(model, val.x, val.rowShape);
    const evaluation = evaluateProbabilities(softmaxRows(valLogits, k), val.labels, options.classes);
    const record: EpochRecord = {
      epoch,
      trainLoss: lossSum / n,
      valLoss: meanCrossEntropy(valLogits, val.labels, k),
      valAccuracy: evaluation.metrics.accuracy,
      valMacroF1: evaluation.metrics.macroF1,
      learningRate: lr,
      seconds: (performance.now() - started) / 1000,
    };
    state.history.push(record);
    state.epoch = epoch;
    const better =
      record.valMacroF1 > state.bestMacroF1 ||
      (record.valMacroF1 === state.bestMacroF1 && record.valAccuracy > state.bestAccuracy);
    if (better) {
      state.bestEpoch = epoch;
      state.bestMacroF1 = record.valMacroF1;
      state.bestAccuracy = record.valAccuracy;
      state.sinceBest = 0;
      for (const t of bestWeights ?? []) t.dispose();
      bestWeights = model.getWeights().map((w) => w.clone());
      if (bestDir) await saveCheckpoint(bestDir, model, undefined, state);
    } else {
      state.sinceBest++;
    }
    if (lastDir) await saveCheckpoint(lastDir, model, optimizer, state);
    options.onEpoch?.(record);
    if (options.patience > 0 && state.sinceBest >= options.patience) {
      stoppedEarly = epoch < options.epochs;
      break;
    }
  }

  if (bestWeights) model.setWeights(bestWeights);
  for (const t of bestWeights ?? []) t.dispose();
  optimizer.dispose();
  const valLogits = predictLogits(model, val.x, val.rowShape);
  const evaluation = evaluateProbabilities(softmaxRows(valLogits, k), val.labels, options.classes, val.sources);
  const result: LoopResult = {
    model,
    history: state.history,
    bestEpoch: state.bestEpoch,
    stoppedEarly,
    evaluation,
    valLogits,
  };
  if (resumedFrom !== undefined) result.resumedFrom = resumedFrom;
  return result;
}
