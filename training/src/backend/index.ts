/**
 * Picks and initialises the TensorFlow.js backend. `auto` prefers the native bindings when they are
 * installed (optional peer dependencies, never required), then wasm. Every part of training imports
 * `tf` from here so the whole process shares one engine.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";

export { tf };

export const BACKEND_NAMES = ["auto", "node-gpu", "node", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendChoice {
  /** What was asked for. */
  requested: BackendName;
  /** What runs: node-gpu, node, wasm or cpu. */
  active: Exclude<BackendName, "auto">;
  /** tf.getBackend() after the switch (tensorflow for the native bindings). */
  tfBackend: string;
  /** Why a preferred backend was passed over, in the order tried. */
  skipped: string[];
}

export class BackendError extends Error {
  override name = "BackendError";
}

export function parseBackendName(value: string): BackendName {
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw new BackendError(`unknown backend "${value}"; valid: ${BACKEND_NAMES.join(", ")}`);
}

const NATIVE_PACKAGES = { "node-gpu": "@tensorflow/tfjs-node-gpu", node: "@tensorflow/tfjs-node" } as const;

async function tryNative(kind: keyof typeof NATIVE_PACKAGES): Promise<string | undefined> {
  const pkg = NATIVE_PACKAGES[kind];
  try {
    // A variable specifier keeps bundlers and tsc from resolving a package that is usually absent.
    await import(/* @vite-ignore */ pkg);
  } catch (error) {
    return `${pkg} is not installed or failed to load (${(error as Error).message.split("\n")[0]})`;
  }
  if (!(await tf.setBackend("tensorflow"))) return `${pkg} loaded but the "tensorflow" backend did not start`;
  return undefined;
}

async function trySimple(name: "wasm" | "cpu"): Promise<string | undefined> {
  try {
    if (await tf.setBackend(name)) {
      await tf.ready();
      return undefined;
    }
    return `tf.setBackend("${name}") returned false`;
  } catch (error) {
    return `${name} failed: ${(error as Error).message}`;
  }
}

let current: BackendChoice | undefined;

/**
 * Switches tfjs to the requested backend. Throws BackendError when an explicitly named backend
 * cannot start; `auto` falls through to the next candidate and records why.
 */
export async function initBackend(
  requested: BackendName = "auto",
  log: (line: string) => void = () => {},
): Promise<BackendChoice> {
  if (current && current.requested === requested) return current;
  const order: Exclude<BackendName, "auto">[] = requested === "auto" ? ["node-gpu", "node", "wasm"] : [requested];
  const skipped: string[] = [];
  for (const candidate of order) {
    const problem =
      candidate === "node-gpu" || candidate === "node" ? await tryNative(candidate) : await trySimple(candidate);
    if (problem === undefined) {
      current = { requested, active: candidate, tfBackend: tf.getBackend(), skipped };
      log(
        `backend: ${candidate} (tf backend "${current.tfBackend}")${skipped.length ? `; skipped: ${skipped.join("; ")}` : ""}`,
      );
      return current;
    }
    skipped.push(problem);
  }
  throw new BackendError(`no backend could start for "${requested}": ${skipped.join("; ")}`);
}

export function activeBackend(): BackendChoice | undefined {
  return current;
}
