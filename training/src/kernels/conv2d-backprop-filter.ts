/**
 * Conv2DBackpropFilter for wasm. A pointwise (1x1, stride-1, unpadded) filter gradient is one
 * matMul x^T · dy; anything else is the dilated correlation of filter-grad-frame.ts with the batch as the
 * reduced channel axis: x as [Ci, H, W, B] convolved with dy as a [OH, OW, B, Co] filter.
 */
import {
  backend_util,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { assertNoDilation, isPointwise, KernelComposer } from "./composite.js";
import { cropToFilter, padForFilterGrad } from "./filter-grad-frame.js";

export const conv2DBackpropFilterKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
  if (dataFormat !== "NHWC") throw new Error(`Conv2DBackpropFilter on wasm supports NHWC only, got ${dataFormat}`);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  assertNoDilation(info, "Conv2DBackpropFilter");
  const k = new KernelComposer(backend, "wasm");
  if (isPointwise(info)) {
    const rows = info.batchSize * info.outHeight * info.outWidth;
    const x2d = k.reshape(x, [rows, info.inChannels]);
    const dy2d = k.reshape(dy, [rows, info.outChannels]);
    // wasm's BatchMatMul is several times slower with a transpose flag than after an explicit Transpose.
    const xT = k.run("Transpose", { x: x2d }, { perm: [1, 0] });
    const product = k.run("BatchMatMul", { a: xT, b: dy2d }, { transposeA: false, transposeB: false });
    return k.finish(k.reshape(product, filterShape));
  }
  const channelsAsBatch = k.run("Transpose", { x: padForFilterGrad(k, x, info) }, { perm: [3, 1, 2, 0] });
  const dyAsFilter = k.run("Transpose", { x: dy }, { perm: [1, 2, 0, 3] });
  const correlation = k.run(
    "Conv2D",
    { x: channelsAsBatch, filter: dyAsFilter },
    { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [info.strideHeight, info.strideWidth] },
  );
  const cropped = cropToFilter(k, correlation, info);
  return k.finish(k.run("Transpose", { x: cropped }, { perm: [1, 2, 0, 3] }));
};

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: "Conv2DBackpropFilter",
  backendName: "wasm",
  kernelFunc: conv2DBackpropFilterKernel,
};
