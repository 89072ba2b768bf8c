/**
 * DepthwiseConv2dNativeBackpropInput for wasm, as the transposed convolution: dy is dilated by the
 * stride (zeros between rows and columns), padded so a 'valid' stride-1 depthwise convolution with
 * the spatially flipped filter yields exactly the input's height and width, and for a channel
 * multiplier M > 1 the M output channels of each input channel are summed.
 */
import {
  backend_util,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { assertNoDilation, KernelComposer } from "./composite.js";
import { dilateByStride } from "./strided.js";

/**
 * Pads (or crops) the dilated dy so that row i of the result, convolved with the flipped filter,
 * gives input row i: it must start filterHeight - 1 - padTop rows before dy's first row and span
 * inHeight + filterHeight - 1 rows.
 */
function frameForFullConv(k: KernelComposer, dilated: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const [batch, height, width, channels] = dilated.shape as [number, number, number, number];
  const before = [info.filterHeight - 1 - info.padInfo.top, info.filterWidth - 1 - info.padInfo.left];
  const span = [info.inHeight + info.filterHeight - 1, info.inWidth + info.filterWidth - 1];
  const after = [span[0]! - before[0]! - height, span[1]! - before[1]! - width];
  const padBefore = before.map((n) => Math.max(0, n));
  const padAfter = after.map((n) => Math.max(0, n));
  let framed = dilated;
  if (padBefore.some((n) => n > 0) || padAfter.some((n) => n > 0)) {
    const paddings = [
      [0, 0],
      [padBefore[0], padAfter[0]],
      [padBefore[1], padAfter[1]],
      [0, 0],
    ];
    framed = k.run("PadV2", { x: dilated }, { paddings, constantValue: 0 });
  }
  if (before.some((n) => n < 0) || after.some((n) => n < 0)) {
    const begin = [0, Math.max(0, -before[0]!), Math.max(0, -before[1]!), 0];
    framed = k.run("Slice", { x: framed }, { begin, size: [batch, span[0], span[1], channels] });
  }
  return framed;
}

export const depthwiseBackpropInputKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, inputShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  assertNoDilation(info, "DepthwiseConv2dNativeBackpropInput");
  const k = new KernelComposer(backend, "wasm");
  const { filterHeight, filterWidth, inChannels, outChannels } = info;
  const flipped = k.run("Reverse", { x: filter }, { dims: [0, 1] });
  const flatFilter = k.reshape(flipped, [filterHeight, filterWidth, outChannels, 1]);
  const framed = frameForFullConv(k, dilateByStride(k, dy, info.strideHeight, info.strideWidth), info);
  const convolved = k.run(
    "DepthwiseConv2dNative",
    { x: framed, filter: flatFilter },
    { strides: [1, 1], pad: "valid", dilations: [1, 1], dataFormat: "NHWC" },
  );
  if (outChannels === inChannels) return k.finish(convolved);
  const [batch, height, width] = inputShape;
  const perMultiplier = k.reshape(convolved, [batch, height, width, inChannels, outChannels / inChannels]);
  return k.finish(k.run("Sum", { x: perMultiplier }, { axis: [4], keepDims: false }));
};

export const depthwiseBackpropInputConfig: KernelConfig = {
  kernelName: "DepthwiseConv2dNativeBackpropInput",
  backendName: "wasm",
  kernelFunc: depthwiseBackpropInputKernel,
};
