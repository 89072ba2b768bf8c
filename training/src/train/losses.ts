/**
 * Losses on logits with the λ-mixed target of mixup/CutMix: λ·L(y_a) + (1 − λ)·L(y_b). Unmixed
 * batches pass y_b = y_a and λ = 1. Class weights use PyTorch's weighted mean (Σ wᵢ lᵢ / Σ wᵢ).
 */
import { tf } from "../backend/index.js";
import { type ClassWeighting, classPriors, classWeights } from "./weights.js";

export type LossKind = "ce" | "focal" | "balanced-softmax" | "logit-adjusted";
export const LOSS_KINDS: readonly LossKind[] = ["ce", "focal", "balanced-softmax", "logit-adjusted"];

export interface LossSpec {
  kind: LossKind;
  weighting: ClassWeighting;
  /** Effective-number β. */
  beta: number;
  labelSmoothing: number;
  /** Focal γ (0 = cross-entropy). */
  gamma: number;
  /** Focal α: a scalar scale (1 = none). Per-class α comes from `weighting`. */
  alpha: number;
  /** Logit adjustment τ (balanced softmax is τ = 1). */
  tau: number;
}

export const DEFAULT_LOSS: LossSpec = {
  kind: "ce",
  weighting: "none",
  beta: 0.999,
  labelSmoothing: 0,
  gamma: 2,
  alpha: 1,
  tau: 1,
};

export interface MixedTargets {
  /** [N] int32 labels of the first image. */
  a: tf.Tensor1D;
  /** [N] int32 labels of the partner (equal to `a` when unmixed). */
  b: tf.Tensor1D;
  /** [N] weight of `a`. */
  lambda: tf.Tensor1D;
}

export interface Loss {
  spec: LossSpec;
  /** Scalar mean loss; call inside tf.tidy / optimizer.minimize. */
  compute(logits: tf.Tensor2D, targets: MixedTargets): tf.Scalar;
  /** Per-class weights in use (ones when unweighted). */
  weights: number[];
}

function perSample(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
  spec: LossSpec,
  numClasses: number,
  logPrior: tf.Tensor1D | undefined,
): tf.Tensor1D {
  const adjusted = logPrior ? tf.add(logits, logPrior) : logits;
  const logProbs = tf.logSoftmax(adjusted);
  let target: tf.Tensor = tf.cast(tf.oneHot(labels, numClasses), "float32");
  if (spec.labelSmoothing > 0)
    target = tf.add(tf.mul(target, 1 - spec.labelSmoothing), spec.labelSmoothing / numClasses);
  const ce = tf.neg(tf.sum(tf.mul(target, logProbs), -1)) as tf.Tensor1D;
  if (spec.kind !== "focal" || spec.gamma === 0)
    return spec.kind === "focal" ? (tf.mul(ce, spec.alpha) as tf.Tensor1D) : ce;
  // p_t of the (possibly smoothed) target: exp(−CE) for one-hot targets.
  const pt = tf.exp(tf.neg(ce));
  const modulator = tf.pow(tf.sub(1, pt), spec.gamma);
  return tf.mul(tf.mul(modulator, ce), spec.alpha) as tf.Tensor1D;
}

export function createLoss(spec: LossSpec, counts: readonly number[]): Loss {
  const numClasses = counts.length;
  const weights = classWeights(counts, spec.weighting, spec.beta);
  const tau = spec.kind === "balanced-softmax" ? 1 : spec.kind === "logit-adjusted" ? spec.tau : 0;
  const logPriorValues = classPriors(counts).map((p) => tau * Math.log(p));
  return {
    spec,
    weights,
    compute(logits, targets) {
      return tf.tidy(() => {
        const logPrior = tau !== 0 ? tf.tensor1d(logPriorValues) : undefined;
        const la = perSample(logits, targets.a, spec, numClasses, logPrior);
        const lb = perSample(logits, targets.b, spec, numClasses, logPrior);
        const lam = targets.lambda;
        const oneMinus = tf.sub(1, lam);
        if (spec.weighting === "none") return tf.mean(tf.add(tf.mul(lam, la), tf.mul(oneMinus, lb))) as tf.Scalar;
        const w = tf.tensor1d(weights);
        const wa = tf.mul(lam, tf.gather(w, targets.a));
        const wb = tf.mul(oneMinus, tf.gather(w, targets.b));
        return tf.div(tf.sum(tf.add(tf.mul(wa, la), tf.mul(wb, lb))), tf.sum(tf.add(wa, wb))) as tf.Scalar;
      });
    },
  };
}
