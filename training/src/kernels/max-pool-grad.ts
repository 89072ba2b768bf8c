/**
 * MaxPoolGrad for wasm, replacing the native 4.22 kernel, which routes the gradient to the wrong
 * positions for 2x2 windows and for some odd-sized 'same' inputs (see the kernel tests). When the
 * windows tile the input (pool size = stride, as in every Tiny Darknet max pool) each window is
 * flattened, ArgMax picks its first maximum (the cpu backend's choice on ties) and OneHot * dy puts
 * the gradient there; overlapping windows take a slower per-tap path with the same tie rule.
 */
import {
  backend_util,
  type KernelConfig,
  type KernelFunc,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { KernelComposer } from "./composite.js";
import { dilateByStride, stridedView } from "./strided.js";

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

/**
 * Overlapping windows: for each tap in scan order, the positions equal to their window's maximum and
 * not yet claimed by an earlier tap take dy, scattered back to input positions.
 */
function overlappingMaxPoolGrad(
  k: KernelComposer,
  dy: TensorInfo,
  input: TensorInfo,
  output: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { strideHeight: sh, strideWidth: sw, outHeight, outWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  const [batch, height, width, channels] = input.shape as [number, number, number, number];
  const spanHeight = filterHeight - 1 + outHeight * sh;
  const spanWidth = filterWidth - 1 + outWidth * sw;
  const paddings = [
    [0, 0],
    [top, Math.max(0, spanHeight - height - top)],
    [left, Math.max(0, spanWidth - width - left)],
    [0, 0],
  ];
  const padded = k.run("PadV2", { x: input }, { paddings, constantValue: Number.NEGATIVE_INFINITY });
  let claimed: TensorInfo | undefined;
  let sum: TensorInfo | undefined;
  for (let kh = 0; kh < filterHeight; kh++) {
    for (let kw = 0; kw < filterWidth; kw++) {
      const view = stridedView(k, padded, [kh, kw], [outHeight, outWidth], [sh, sw]);
      const isMax = k.run("Equal", { a: view, b: output });
      const takes = claimed ? k.run("LogicalAnd", { a: isMax, b: k.run("LogicalNot", { x: claimed }) }) : isMax;
      claimed = claimed ? k.run("LogicalOr", { a: claimed, b: takes }) : takes;
      const routed = k.run("Multiply", { a: k.run("Cast", { x: takes }, { dtype: "float32" }), b: dy });
      const placed = k.run(
        "PadV2",
        { x: dilateByStride(k, routed, sh, sw) },
        {
          paddings: [
            [0, 0],
            [kh, spanHeight - kh - outHeight * sh],
            [kw, spanWidth - kw - outWidth * sw],
            [0, 0],
          ],
          constantValue: 0,
        },
      );
      sum = sum ? k.run("Add", { a: sum, b: placed }) : placed;
    }
  }
  const keptHeight = Math.min(height, spanHeight - top);
  const keptWidth = Math.min(width, spanWidth - left);
  const cropped = k.run(
    "Slice",
    { x: sum as TensorInfo },
    { begin: [0, top, left, 0], size: [batch, keptHeight, keptWidth, channels] },
  );
  if (keptHeight === height && keptWidth === width) return cropped;
  const fill = [
    [0, 0],
    [0, height - keptHeight],
    [0, width - keptWidth],
    [0, 0],
  ];
  return k.run("PadV2", { x: cropped }, { paddings: fill, constantValue: 0 });
}

export const maxPoolGrad: KernelFunc = (args) => {
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
  const k = new KernelComposer(args.backend, "wasm");
  if (info.filterHeight !== sh || info.filterWidth !== sw) {
    const output = (args.inputs as { output: TensorInfo }).output;
    return k.finish(overlappingMaxPoolGrad(k, dy, input, output, info));
  }
  const { batchSize, outHeight, outWidth, inChannels } = info;
  const windows = k.reshape(frameWindows(k, input, info), [batchSize, outHeight, sh, outWidth, sw, inChannels]);
  const windowLast = k.run("Transpose", { x: windows }, { perm: [0, 1, 3, 5, 2, 4] });
  const flat = k.reshape(windowLast, [batchSize * outHeight * outWidth * inChannels, sh * sw]);
  const argMax = k.run("ArgMax", { x: flat }, { axis: [1] });
  // wasm's OneHot writes int32 whatever dtype it is given
  const oneHotInt = k.run("OneHot", { indices: argMax }, { depth: sh * sw, onValue: 1, offValue: 0, dtype: "int32" });
  const oneHot = k.run("Cast", { x: oneHotInt }, { dtype: "float32" });
  const routed = k.run("Multiply", {
    a: oneHot,
    b: k.reshape(dy, [batchSize * outHeight * outWidth * inChannels, 1]),
  });
  const perWindow = k.reshape(routed, [batchSize, outHeight, outWidth, inChannels, sh, sw]);
  const backInPlace = k.run("Transpose", { x: perWindow }, { perm: [0, 1, 4, 2, 5, 3] });
  const framedDx = k.reshape(backInPlace, [batchSize, outHeight * sh, outWidth * sw, inChannels]);
  return k.finish(unframe(k, framedDx, info, input.shape));
};

export const maxPoolGradConfig: KernelConfig = {
  kernelName: "MaxPoolGrad",
  backendName: "wasm",
  kernelFunc: maxPoolGrad,
};
