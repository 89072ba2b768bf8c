/** Per-class loss weights for long-tailed data. */
export type ClassWeighting = "none" | "inverse" | "effective";
export const CLASS_WEIGHTINGS: readonly ClassWeighting[] = ["none", "inverse", "effective"];

/**
 * inverse: total / count, exactly as the seed report; effective: the effective number of samples
 * (Cui et al. 2019), (1 − β) / (1 − βⁿ), rescaled so the weights sum to the number of classes.
 * A class with no images gets weight 0 (it cannot appear in a batch anyway).
 */
export function classWeights(counts: readonly number[], kind: ClassWeighting, beta = 0.999): number[] {
  if (kind === "none") return counts.map(() => 1);
  if (kind === "inverse") {
    const total = counts.reduce((a, b) => a + b, 0);
    return counts.map((n) => (n > 0 ? total / n : 0));
  }
  if (!(beta > 0 && beta < 1)) throw new RangeError(`effective-number beta must be in (0, 1), got ${beta}`);
  const raw = counts.map((n) => (n > 0 ? (1 - beta) / (1 - beta ** n) : 0));
  const sum = raw.reduce((a, b) => a + b, 0);
  const present = counts.filter((n) => n > 0).length;
  return raw.map((w) => (w * present) / sum);
}

/** Class priors n_c / total, floored so log-prior stays finite for empty classes. */
export function classPriors(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((n) => Math.max(n, 1e-3) / total);
}
