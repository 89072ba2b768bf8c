/**
 * Gradient kernels that @tensorflow/tfjs-backend-wasm 4.22 lacks, written as compositions of the
 * kernels it has. Register them once before training on wasm.
 */
import { getKernel, type KernelConfig, registerKernel } from "@tensorflow/tfjs-core";
import { conv2DBackpropFilterConfig } from "./conv2d-backprop-filter.js";
import { depthwiseBackpropFilterConfig } from "./depthwise-backprop-filter.js";
import { depthwiseBackpropInputConfig } from "./depthwise-backprop-input.js";

export const WASM_GRADIENT_KERNELS: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  depthwiseBackpropFilterConfig,
  depthwiseBackpropInputConfig,
];

/**
 * Registers the missing wasm gradient kernels. Idempotent; a kernel the installed wasm backend
 * already provides is left alone. Returns the names this call registered.
 */
export function registerWasmGradientKernels(): string[] {
  const registered: string[] = [];
  for (const config of WASM_GRADIENT_KERNELS) {
    if (getKernel(config.kernelName, config.backendName)) continue;
    registerKernel(config);
    registered.push(config.kernelName);
  }
  return registered;
}
