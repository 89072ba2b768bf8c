/** Cosine annealing (Loshchilov & Hutter) from `base` to `min` over `total` steps, after a linear warm-up. */
export function cosineLearningRate(step: number, total: number, base: number, min = 0, warmup = 0): number {
  if (warmup > 0 && step < warmup) return (base * (step + 1)) / warmup;
  const t = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
  return min + 0.5 * (base - min) * (1 + Math.cos(Math.PI * t));
}
