/**
 * MaxPoolGrad for wasm when the pooling windows tile the input (pool size = stride, as in every
 * Tiny Darknet max pool): the native 4.22 kernel routes the gradient to the wrong positions for 2x2
 * windows (see the kernel tests). Each window is flattened, ArgMax picks its first maximum (the cpu
 * backend's choice on ties) and OneHot * dy puts the gradient there. Overlapping windows go to the
 * kernel wasm registered before this one replaced it.
 */
import {
  type KernelConfig,
  type KernelFunc,
  type MaxPoolGradAttrs,
  type TensorInfo,
  backend_util,
} from "@tensorflow/tfjs-core";
import { KernelComposer } from "./composite.js";

/** Pads (with -Infinity, never a maximum) or crops x so the windows cover it exactly. */
function frameWindows(k: KernelComposer, x: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const [batch, height, width, channels] = x.shape as [number, number, number, number];
  const { top, left } = info.padInfo;
  const framedHeight = info.outHeight * info.strideHeight;
  const framedWidth = info.outWidth * info.strideWidth;
  const bottom = framedHeight - height - top;
  const right = framedWidth - width - left;
  let framed = x;
  if (top > 0 || left > 0 || bottom > 0 || right > 0) {
    const paddings = [
      [0, 0],
      [top, Math.max(0, bottom)],
      [left, Math.max(0, right)],
      [0, 0],
    ];
    framed = k.run("PadV2", { x }, { paddings, constantValue: Number.NEGATIVE_INFINITY });
  }
  if (bottom < 0 || right < 0) {
    framed = k.run("Slice", { x: framed }, { begin: [0, 0, 0, 0], size: [batch, framedHeight, framedWidth, channels] });
  }
  return framed;
}

/** The inverse of frameWindows for the gradient: drop the padding, zero-fill what was cropped. */
function unframe(k: KernelComposer, dx: TensorInfo, info: backend_util.Conv2DInfo, inputShape: number[]): TensorInfo {
  const [batch, height, width, channels] = inputShape as [number, number, number, number];
  const { top, left } = info.padInfo;
  const [, framedHeight, framedWidth] = dx.shape as [number, number, number, number];
  const keptHeight = Math.min(height, framedHeight - top);
  const keptWidth = Math.min(width, framedWidth - left);
  let result = dx;
  if (top > 0 || left > 0 || keptHeight < framedHeight || keptWidth < framedWidth) {
    result = k.run("Slice", { x: dx }, { begin: [0, top, left, 0], size: [batch, keptHeight, keptWidth, channels] });
  }
  if (keptHeight < height || keptWidth < width) {
    const paddings = [
      [0, 0],
      [0, height - keptHeight],
      [0, width - keptWidth],
      [0, 0],
    ];
    result = k.run("PadV2", { x: result }, { paddings, constantValue: 0 });
  }
  return result;
}

export function tiledMaxPoolGrad(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
    const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as MaxPoolGradAttrs;
    const info = backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const { strideHeight: sh, strideWidth: sw } = info;
    if (info.filterHeight !== sh || info.filterWidth !== sw) return fallback(args);
    const k = new KernelComposer(args.backend, "wasm");
    const { batchSize, outHeight, outWidth, inChannels } = info;
    const windows = k.reshape(frameWindows(k, input, info), [batchSize, outHeight, sh, outWidth, sw, inChannels]);
    const windowLast = k.run("Transpose", { x: windows }, { perm: [0, 1, 3, 5, 2, 4] });
    const flat = k.reshape(windowLast, [batchSize * outHeight * outWidth * inChannels, sh * sw]);
    const argMax = k.run("ArgMax", { x: flat }, { axis: [1] });
    const oneHot = k.run("OneHot", { indices: argMax }, { depth: sh * sw, onValue: 1, offValue: 0, dtype: "float32" });
    const routed = k.run("Multiply", { a: oneHot, b: k.reshape(dy, [batchSize * outHeight * outWidth * inChannels, 1]) });
    const perWindow = k.reshape(routed, [batchSize, outHeight, outWidth, inChannels, sh, sw]);
    const backInPlace = k.run("Transpose", { x: perWindow }, { perm: [0, 1, 4, 2, 5, 3] });
    const framedDx = k.reshape(backInPlace, [batchSize, outHeight * sh, outWidth * sw, inChannels]);
    return k.finish(unframe(k, framedDx, info, input.shape));
  };
}

/** The native kernel config with its function wrapped. */
export function tiledMaxPoolGradConfig(native: KernelConfig): KernelConfig {
  return { ...native, kernelFunc: tiledMaxPoolGrad(native.kernelFunc) };
}
