/**
 * Temperature scaling (Guo et al., 2017): one scalar T > 0 dividing the logits, fitted on validation
 * logits by minimising the negative log-likelihood. NLL is convex in 1/T, so a golden-section search
 * over 1/T finds the optimum.
 */

/** Mean negative log-likelihood of `labels` under softmax(logits / T). `logits` is row-major [n, k]. */
export function meanNll(
  logits: Float32Array,
  labels: ArrayLike<number>,
  numClasses: number,
  temperature: number,
): number {
  const n = labels.length;
  if (n === 0) throw new RangeError("no samples");
  let total = 0;
  for (let i = 0; i < n; i++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < numClasses; c++) max = Math.max(max, (logits[i * numClasses + c] as number) / temperature);
    let sum = 0;
    for (let c = 0; c < numClasses; c++) sum += Math.exp((logits[i * numClasses + c] as number) / temperature - max);
    const label = labels[i] as number;
    total += max + Math.log(sum) - (logits[i * numClasses + label] as number) / temperature;
  }
  return total / n;
}

export interface TemperatureFit {
  temperature: number;
  nllBefore: number;
  nllAfter: number;
}

/** Fits T in [minT, maxT] minimising NLL. */
export function fitTemperature(
  logits: Float32Array,
  labels: ArrayLike<number>,
  numClasses: number,
  { minT = 0.05, maxT = 20, iterations = 80 } = {},
): TemperatureFit {
  const nllAtInverse = (beta: number) => meanNll(logits, labels, numClasses, 1 / beta);
  let lo = 1 / maxT;
  let hi = 1 / minT;
  const ratio = (Math.sqrt(5) - 1) / 2;
  let a = hi - ratio * (hi - lo);
  let b = lo + ratio * (hi - lo);
  let fa = nllAtInverse(a);
  let fb = nllAtInverse(b);
  for (let i = 0; i < iterations; i++) {
    if (fa < fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - ratio * (hi - lo);
      fa = nllAtInverse(a);
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + ratio * (hi - lo);
      fb = nllAtInverse(b);
    }
  }
  const temperature = 1 / ((lo + hi) / 2);
  return {
    temperature,
    nllBefore: meanNll(logits, labels, numClasses, 1),
    nllAfter: meanNll(logits, labels, numClasses, temperature),
  };
}
