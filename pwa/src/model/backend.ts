/** Picks the fastest tfjs backend that works here: WebGL (on a real GPU), then wasm, then plain JS. */
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
 * Whether WebGL here is a software renderer (SwiftShader, llvmpipe): on such devices the wasm backend
 * is several times faster (bench/results/pwa.json), so WebGL goes last.
 */
function softwareWebgl(): boolean {
  if (typeof OffscreenCanvas === "undefined") return false;
  const canvas = new OffscreenCanvas(1, 1);
  const gl = canvas.getContext("webgl2") ?? canvas.getContext("webgl");
  if (!gl) return false;
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  gl.getExtension("WEBGL_lose_context")?.loseContext();
  return /swiftshader|llvmpipe|softpipe|software/i.test(renderer);
}

/**
 * Tries each backend in order (starting with `preferred` when given) and returns the first that
 * initialises and computes. `wasmDir` is where the tfjs .wasm binaries are served (never a CDN).
 */
export async function selectBackend(wasmDir: string, preferred?: BackendName): Promise<BackendName> {
  setWasmPaths(wasmDir);
  const order: BackendName[] = preferred
    ? [preferred, ...BACKENDS.filter((b) => b !== preferred)]
    : softwareWebgl()
      ? ["wasm", "webgl", "cpu"]
      : [...BACKENDS];
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
