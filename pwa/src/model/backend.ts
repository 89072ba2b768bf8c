/** Picks the fastest tfjs backend that works here: WebGL, then wasm, then plain JS. */
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-backend-webgl";
import * as tf from "@tensorflow/tfjs-core";

export const BACKENDS = ["webgl", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKENDS)[number];

export function isBackendName(value: string | null | undefined): value is BackendName {
  return (BACKENDS as readonly string[]).includes(value ?? "");
}

/**
 * Tries each backend in order (starting with `preferred` when given) and returns the first that
 * initialises and computes. `wasmDir` is where the tfjs .wasm binaries are served (never a CDN).
 */
export async function selectBackend(wasmDir: string, preferred?: BackendName): Promise<BackendName> {
  setWasmPaths(wasmDir);
  const order = preferred ? [preferred, ...BACKENDS.filter((b) => b !== preferred)] : [...BACKENDS];
  const failures: string[] = [];
  for (const name of order) {
    try {
      // setBackend resolves false (rather than throwing) when a backend cannot initialise.
      if (!(await tf.setBackend(name))) {
        failures.push(`${name}: could not initialise`);
        continue;
      }
      const probe = tf.tidy(() => tf.sum(tf.add(tf.ones([2, 2]), tf.ones([2, 2]))));
      const value = (await probe.data())[0];
      probe.dispose();
      if (value === 8) return name;
      failures.push(`${name}: computed ${value} instead of 8`);
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message}`);
    }
  }
  throw new Error(`no TensorFlow.js backend works on this device (${failures.join("; ")})`);
}
