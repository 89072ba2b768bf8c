/**
 * Gradient kernels for @tensorflow/tfjs-backend-wasm 4.22: the three it lacks, written as
 * compositions of the kernels it has; a matMul path for its slow pointwise Conv2DBackpropInput; and
 * a correct MaxPoolGrad for tiling windows, where its own is wrong. Register them once before
 * training on wasm.
 */
import { getKernel, type KernelConfig, registerKernel, unregisterKernel } from "@tensorflow/tfjs-core";
import { conv2DBackpropFilterConfig } from "./conv2d-backprop-filter.js";
import { pointwiseBackpropInputConfig } from "./conv2d-backprop-input.js";
import { depthwiseBackpropFilterConfig } from "./depthwise-backprop-filter.js";
import { depthwiseBackpropInputConfig } from "./depthwise-backprop-input.js";
import { maxPoolGradConfig } from "./max-pool-grad.js";
import { channelBroadcastTileConfig } from "./tile.js";

export const WASM_MISSING_KERNELS: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  depthwiseBackpropFilterConfig,
  depthwiseBackpropInputConfig,
];

/** Kernel functions this module installed in place of a native one. */
const replacements = new WeakSet<object>();

function replaceNative(kernelName: string, wrap: (native: KernelConfig) => KernelConfig): boolean {
  const native = getKernel(kernelName, "wasm");
  if (!native || replacements.has(native.kernelFunc)) return false;
  const replacement = wrap(native);
  replacements.add(replacement.kernelFunc);
  unregisterKernel(kernelName, "wasm");
  registerKernel(replacement);
  return true;
}

/**
 * Registers the wasm gradient kernels. Idempotent; a missing kernel that the installed wasm backend
 * has gained since 4.22 is left alone. Returns the names this call registered or replaced.
 */
export function registerWasmGradientKernels(): string[] {
  const registered: string[] = [];
  for (const config of WASM_MISSING_KERNELS) {
    if (getKernel(config.kernelName, config.backendName)) continue;
    registerKernel(config);
    registered.push(config.kernelName);
  }
  if (replaceNative("Conv2DBackpropInput", pointwiseBackpropInputConfig)) registered.push("Conv2DBackpropInput");
  if (replaceNative("MaxPoolGrad", () => maxPoolGradConfig)) registered.push("MaxPoolGrad");
  if (replaceNative("Tile", channelBroadcastTileConfig)) registered.push("Tile");
  return registered;
}
