/**
 * From model logits to what a person sees: calibrated probabilities, top-k and the "unsure" rule.
 * Shared by the evaluate CLI and the PWA so both apply the very same rule.
 */
import { z } from "zod";

export const UnsureRuleSchema = z.strictObject({
  /** maxProb: 1 - top-1 probability; margin: 1 - (top-1 minus top-2); energy: -T·logsumexp(logits/T). */
  score: z.enum(["maxProb", "margin", "energy"]),
  /** The result is "unsure" when the score is above this. */
  threshold: z.number().finite(),
  /** Share of validation images that were NOT unsure at this threshold. */
  coverage: z.number().min(0).max(1),
});
export type UnsureRule = z.infer<typeof UnsureRuleSchema>;

/** Softmax of logits / temperature, computed stably. */
export function softmax(logits: ArrayLike<number>, temperature = 1): Float64Array {
  if (!(temperature > 0)) throw new RangeError(`temperature must be > 0, got ${temperature}`);
  const out = new Float64Array(logits.length);
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, (logits[i] as number) / temperature);
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    out[i] = Math.exp((logits[i] as number) / temperature - max);
    total += out[i] as number;
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / total;
  return out;
}

export interface RankedClass {
  index: number;
  probability: number;
}

export function topK(probabilities: ArrayLike<number>, k = 3): RankedClass[] {
  return Array.from(probabilities, (probability, index) => ({ index, probability }))
    .sort((a, b) => b.probability - a.probability || a.index - b.index)
    .slice(0, k);
}

/** Higher means less sure. */
export function unsureScore(logits: ArrayLike<number>, temperature: number, score: UnsureRule["score"]): number {
  if (score === "energy") {
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < logits.length; i++) max = Math.max(max, (logits[i] as number) / temperature);
    let total = 0;
    for (let i = 0; i < logits.length; i++) total += Math.exp((logits[i] as number) / temperature - max);
    return -temperature * (max + Math.log(total));
  }
  const [first, second] = topK(softmax(logits, temperature), 2);
  const p1 = first?.probability ?? 0;
  if (score === "maxProb") return 1 - p1;
  return 1 - (p1 - (second?.probability ?? 0));
}

export interface Interpretation {
  probabilities: Float64Array;
  top: RankedClass[];
  unsure: boolean;
  unsureScore: number;
}

/** Applies a model card's calibration temperature and unsure rule to one image's logits. */
export function interpretLogits(
  logits: ArrayLike<number>,
  calibration: { temperature: number },
  rule: UnsureRule,
  k = 3,
): Interpretation {
  const probabilities = softmax(logits, calibration.temperature);
  const score = unsureScore(logits, calibration.temperature, rule.score);
  return { probabilities, top: topK(probabilities, k), unsure: score > rule.threshold, unsureScore: score };
}
