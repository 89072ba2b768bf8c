/**
 * Test helpers: run the same computation on two backends from the same input values, and measure
 * how far apart the results are. Kept out of the product path; used by the kernel tests.
 */
import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../data/rng.js";

/** Deterministic values in [-1, 1) so cpu and wasm get identical inputs. */
export function seededValues(size: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: size }, () => rng.uniform(-1, 1));
}

/** max |a - b| / max |b|: the relative error of `actual` against `expected`. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs((actual[i] as number) - (expected[i] as number)));
    maxRef = Math.max(maxRef, Math.abs(expected[i] as number));
  }
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}

/** Switches to `backend`, runs `compute` in a tidy, and returns every output's values. */
export async function runOn(backend: string, compute: () => tf.Tensor[]): Promise<Float32Array[]> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not start`);
  const outputs = tf.tidy(compute);
  const values = outputs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outputs);
  return values;
}
