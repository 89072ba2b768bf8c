/**
 * A faster Tile for wasm's most common training case: a per-channel vector [1, ..., 1, C] repeated
 * over the leading axes, which tfjs-core's batch-norm gradient does for every BatchNormalization
 * layer. The native kernel copies element by element; an outer product ones[N, 1] · x[1, C] on the
 * matMul kernel is several times faster. Every other case goes to the native kernel.
 */
import type { KernelConfig, KernelFunc, TensorInfo, TileAttrs } from "@tensorflow/tfjs-core";
import { KernelComposer } from "./composite.js";

function isChannelBroadcast(shape: number[], reps: number[]): boolean {
  return (
    shape.length >= 2 &&
    shape.slice(0, -1).every((size) => size === 1) &&
    reps[reps.length - 1] === 1 &&
    reps.some((rep) => rep > 1)
  );
}

export function channelBroadcastTile(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { reps } = args.attrs as unknown as TileAttrs;
    if (x.dtype !== "float32" || !isChannelBroadcast(x.shape, reps)) return fallback(args);
    const k = new KernelComposer(args.backend, "wasm");
    const channels = x.shape[x.shape.length - 1] as number;
    const rows = reps.reduce((a, b) => a * b, 1);
    const ones = k.run("Fill", {}, { shape: [rows, 1], value: 1, dtype: "float32" });
    const outer = k.run(
      "BatchMatMul",
      { a: ones, b: k.reshape(x, [1, channels]) },
      { transposeA: false, transposeB: false },
    );
    return k.finish(k.reshape(outer, [...reps.slice(0, -1), channels]));
  };
}

/** The native kernel config with its function wrapped. */
export function channelBroadcastTileConfig(native: KernelConfig): KernelConfig {
  return { ...native, kernelFunc: channelBroadcastTile(native.kernelFunc) };
}
