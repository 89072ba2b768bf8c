/**
 * DepthwiseConv2dNativeBackpropFilter for wasm, as the dilated correlation of filter-grad-frame.ts
 * on the native depthwise convolution: batch and channels are folded into one channel axis
 * ([1, H, W, B*C] input, [OH, OW, B*C, 1] filter), then the batch is summed out. For a channel
 * multiplier M > 1 each input channel is first repeated M times to line up with dy's C*M channels.
 */
import {
  backend_util,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { assertNoDilation, KernelComposer } from "./composite.js";
import { cropToFilter, padForFilterGrad } from "./filter-grad-frame.js";

/** [B, H, W, C] -> [B, H, W, C * M] with channel c at positions c*M .. c*M + M - 1. */
function repeatChannels(k: KernelComposer, x: TensorInfo, multiplier: number): TensorInfo {
  if (multiplier === 1) return x;
  const [batch, height, width, channels] = x.shape as [number, number, number, number];
  const ones = k.run("Fill", {}, { shape: [multiplier], value: 1, dtype: "float32" });
  const spread = k.run("Multiply", { a: k.reshape(x, [batch, height, width, channels, 1]), b: ones });
  return k.reshape(spread, [batch, height, width, channels * multiplier]);
}

export const depthwiseBackpropFilterKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, filterShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  assertNoDilation(info, "DepthwiseConv2dNativeBackpropFilter");
  const k = new KernelComposer(backend, "wasm");
  const { batchSize, outChannels } = info;
  const padded = repeatChannels(k, padForFilterGrad(k, x, info), outChannels / info.inChannels);
  const [, paddedHeight, paddedWidth] = padded.shape as [number, number, number, number];
  const folded = k.reshape(k.run("Transpose", { x: padded }, { perm: [1, 2, 0, 3] }), [
    1,
    paddedHeight,
    paddedWidth,
    batchSize * outChannels,
  ]);
  const dyAsFilter = k.reshape(k.run("Transpose", { x: dy }, { perm: [1, 2, 0, 3] }), [
    info.outHeight,
    info.outWidth,
    batchSize * outChannels,
    1,
  ]);
  const correlation = k.run(
    "DepthwiseConv2dNative",
    { x: folded, filter: dyAsFilter },
    { strides: [1, 1], pad: "valid", dilations: [info.strideHeight, info.strideWidth], dataFormat: "NHWC" },
  );
  const perBatch = k.reshape(cropToFilter(k, correlation, info), [
    info.filterHeight * info.filterWidth,
    batchSize,
    outChannels,
  ]);
  const summed = k.run("Sum", { x: perBatch }, { axis: [1], keepDims: false });
  return k.finish(k.reshape(summed, filterShape));
};

export const depthwiseBackpropFilterConfig: KernelConfig = {
  kernelName: "DepthwiseConv2dNativeBackpropFilter",
  backendName: "wasm",
  kernelFunc: depthwiseBackpropFilterKernel,
};
