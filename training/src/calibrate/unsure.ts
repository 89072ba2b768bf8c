/**
 * The "unsure" rule stored in the model card: a score from core `unsureScore` (higher = less sure)
 * and a threshold chosen on validation so that a stated share of images is answered (coverage).
 */
import { type UnsureRule, UnsureRuleSchema, unsureScore } from "@pifu/core";

export type UnsureScoreName = UnsureRule["score"];

/** maxProb, margin and energy, in core's order. */
export const UNSURE_SCORES: readonly UnsureScoreName[] = UnsureRuleSchema.shape.score.options;

export function unsureScores(
  logits: Float32Array,
  numClasses: number,
  temperature: number,
  score: UnsureRule["score"],
): Float64Array {
  const n = logits.length / numClasses;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++)
    out[i] = unsureScore(logits.subarray(i * numClasses, (i + 1) * numClasses), temperature, score);
  return out;
}

/**
 * The smallest threshold with at least `coverage` of `scores` at or below it (not unsure). The
 * stored coverage is the share actually achieved, which ties can push above the target.
 */
export function thresholdForCoverage(
  scores: ArrayLike<number>,
  coverage: number,
): { threshold: number; coverage: number } {
  if (!(coverage > 0 && coverage <= 1)) throw new RangeError(`coverage must be in (0, 1], got ${coverage}`);
  const sorted = Float64Array.from(scores).sort();
  if (sorted.length === 0) throw new RangeError("no scores");
  const index = Math.min(sorted.length - 1, Math.ceil(coverage * sorted.length) - 1);
  const threshold = sorted[index] as number;
  let kept = 0;
  for (const s of sorted) if (s <= threshold) kept++;
  return { threshold, coverage: kept / sorted.length };
}

export function chooseUnsureRule(
  logits: Float32Array,
  numClasses: number,
  temperature: number,
  score: UnsureRule["score"],
  coverage: number,
): UnsureRule {
  const chosen = thresholdForCoverage(unsureScores(logits, numClasses, temperature, score), coverage);
  return { score, threshold: chosen.threshold, coverage: chosen.coverage };
}

/**
 * Area under the ROC curve for telling `positives` (should score high, e.g. other conditions) from
 * `negatives` (in-set images): the Mann-Whitney probability that a positive outscores a negative,
 * ties counting one half.
 */
export function auroc(positives: ArrayLike<number>, negatives: ArrayLike<number>): number {
  if (positives.length === 0 || negatives.length === 0)
    throw new RangeError("AUROC needs both positives and negatives");
  const all = [...Array.from(positives, (v) => ({ v, pos: 1 })), ...Array.from(negatives, (v) => ({ v, pos: 0 }))].sort(
    (a, b) => a.v - b.v,
  );
  let rankSumPositives = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]?.v === all[i]?.v) j++;
    const averageRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k]?.pos) rankSumPositives += averageRank;
    i = j;
  }
  const np = positives.length;
  const nn = negatives.length;
  return (rankSumPositives - (np * (np + 1)) / 2) / (np * nn);
}
