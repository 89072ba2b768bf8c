/**
 * A faster Conv2DBackpropInput for wasm's pointwise case (every expand/project convolution of
 * MobileNetV2): dx = dy · W^T as one matMul, where the native kernel loops per pixel. Every other
 * case goes to the kernel wasm registered before this one replaced it.
 */
import {
  backend_util,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { isPointwise, KernelComposer } from "./composite.js";

export function pointwiseBackpropInput(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs as unknown as Conv2DBackpropInputAttrs;
    const filterShape = filter.shape as [number, number, number, number];
    const info = backend_util.computeConv2DInfo(inputShape, filterShape, strides, 1, pad, dimRoundingMode);
    if (dataFormat !== "NHWC" || !isPointwise(info)) return fallback(args);
    const k = new KernelComposer(args.backend, "wasm");
    const rows = info.batchSize * info.outHeight * info.outWidth;
    const dy2d = k.reshape(dy, [rows, info.outChannels]);
    // wasm's BatchMatMul is several times slower with a transpose flag than after an explicit Transpose.
    const filterT = k.run("Transpose", { x: k.reshape(filter, [info.inChannels, info.outChannels]) }, { perm: [1, 0] });
    const product = k.run("BatchMatMul", { a: dy2d, b: filterT }, { transposeA: false, transposeB: false });
    return k.finish(k.reshape(product, inputShape));
  };
}

/** The native kernel config with its function wrapped. */
export function pointwiseBackpropInputConfig(native: KernelConfig): KernelConfig {
  return { ...native, kernelFunc: pointwiseBackpropInput(native.kernelFunc) };
}
