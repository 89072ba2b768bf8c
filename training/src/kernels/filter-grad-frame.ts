/**
 * Shared by the backprop-filter kernels. A filter gradient is a correlation of the padded input with
 * dy in which dy plays the filter, dilated by the stride: dW[kh, kw] = sum over positions of
 * x[s*oh + kh, s*ow + kw] * dy[oh, ow]. Expressed that way it runs on the backend's native (XNNPACK)
 * convolution instead of slicing tap windows, which wasm does in a JavaScript loop.
 */
import type { backend_util, TensorInfo } from "@tensorflow/tfjs-core";
import type { KernelComposer } from "./composite.js";

/** Zero-pads x (NHWC) by the convolution's top/left padding and enough bottom/right to fit every tap. */
export function padForFilterGrad(k: KernelComposer, x: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { top, left } = info.padInfo;
  const bottom = Math.max(0, info.filterHeight + (info.outHeight - 1) * info.strideHeight - info.inHeight - top);
  const right = Math.max(0, info.filterWidth + (info.outWidth - 1) * info.strideWidth - info.inWidth - left);
  if (top === 0 && left === 0 && bottom === 0 && right === 0) return x;
  const paddings = [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
  return k.run("PadV2", { x }, { paddings, constantValue: 0 });
}

/**
 * Crops a [n, h, w, c] correlation result to the filter's [n, filterHeight, filterWidth, c]: with
 * 'valid' padding the input can have rows and columns no tap reaches, which widen the result.
 */
export function cropToFilter(k: KernelComposer, result: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const [n, height, width, channels] = result.shape as [number, number, number, number];
  if (height === info.filterHeight && width === info.filterWidth) return result;
  return k.run(
    "Slice",
    { x: result },
    { begin: [0, 0, 0, 0], size: [n, info.filterHeight, info.filterWidth, channels] },
  );
}
