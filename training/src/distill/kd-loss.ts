/**
 * Multi-teacher knowledge distillation restricted to each teacher's classes (after LFME, Xiang et al.
 * 2020). Teacher k knows only the classes of its subset C_k. For a sample i whose label lies in C_k:
 *   KD_i = T² · KL( softmax(t_i / T) ‖ softmax(s_i[C_k] / T) )
 * where t_i are teacher k's logits and s_i[C_k] the student's logits on C_k, both softmaxed over C_k
 * only. The student's loss is  CE(s, y) + α · mean_i KD_i.
 */
import { tf } from "../backend/index.js";

/** Large enough that exp(-BIG) is 0 in float32, small enough to stay finite after scaling. */
const MASKED = 1e4;

/**
 * Per-sample KD term. `teacherLogits` and `classMask` are [B, K]: row i holds the teacher's logits
 * on its classes (anything elsewhere) and 1 on those classes, 0 elsewhere.
 */
export function kdTerms(
  studentLogits: tf.Tensor2D,
  teacherLogits: tf.Tensor2D,
  classMask: tf.Tensor2D,
  temperature: number,
): tf.Tensor1D {
  return tf.tidy(() => {
    const outside = tf.mul(tf.sub(1, classMask), -MASKED);
    const logPt = tf.logSoftmax(tf.add(tf.div(teacherLogits, temperature), outside));
    const logPs = tf.logSoftmax(tf.add(tf.div(studentLogits, temperature), outside));
    const pt = tf.mul(tf.exp(logPt), classMask);
    const kl = tf.sum(tf.mul(pt, tf.sub(logPt, logPs)), 1);
    return tf.mul(kl, temperature * temperature) as tf.Tensor1D;
  });
}

/** α · mean KD over the batch. */
export function kdLoss(
  studentLogits: tf.Tensor2D,
  teacherLogits: tf.Tensor2D,
  classMask: tf.Tensor2D,
  temperature: number,
  alpha: number,
): tf.Scalar {
  return tf.tidy(
    () => tf.mul(tf.mean(kdTerms(studentLogits, teacherLogits, classMask, temperature)), alpha) as tf.Scalar,
  );
}

/**
 * The KD term of mixed rows (mixup/CutMix): α · mean_i [λ_i · KD_i(own teacher) + (1 − λ_i) · KD_i(partner's
 * teacher)], the same λ-weighting the CE term gets.
 */
export function mixedKdLoss(
  studentLogits: tf.Tensor2D,
  own: { teacherLogits: tf.Tensor2D; classMask: tf.Tensor2D },
  partner: { teacherLogits: tf.Tensor2D; classMask: tf.Tensor2D },
  lambda: tf.Tensor1D,
  temperature: number,
  alpha: number,
): tf.Scalar {
  return tf.tidy(() => {
    const ownTerms = kdTerms(studentLogits, own.teacherLogits, own.classMask, temperature);
    const partnerTerms = kdTerms(studentLogits, partner.teacherLogits, partner.classMask, temperature);
    const mixed = tf.add(tf.mul(lambda, ownTerms), tf.mul(tf.sub(1, lambda), partnerTerms));
    return tf.mul(tf.mean(mixed), alpha) as tf.Scalar;
  });
}

/** Assigns classes to subsets by training count: many (≥ manyAt), medium (≥ fewBelow), few. */
export function subsetsByCount(
  counts: readonly number[],
  { manyAt = 400, fewBelow = 100 }: { manyAt?: number; fewBelow?: number } = {},
): { name: "many" | "medium" | "few"; classes: number[] }[] {
  if (!(manyAt > fewBelow)) throw new RangeError(`manyAt (${manyAt}) must be above fewBelow (${fewBelow})`);
  const subsets = [
    { name: "many" as const, classes: [] as number[] },
    { name: "medium" as const, classes: [] as number[] },
    { name: "few" as const, classes: [] as number[] },
  ];
  counts.forEach((count, c) => {
    const index = count >= manyAt ? 0 : count >= fewBelow ? 1 : 2;
    subsets[index]?.classes.push(c);
  });
  return subsets.filter((s) => s.classes.length > 0);
}
