/** Moving NHWC tensors between input positions and strided output positions. */
import type { TensorInfo } from "@tensorflow/tfjs-core";
import type { KernelComposer } from "./composite.js";

/** Inserts stride - 1 zeros after every row and column: [B, H, W, C] -> [B, H * sh, W * sw, C]. */
export function dilateByStride(k: KernelComposer, x: TensorInfo, sh: number, sw: number): TensorInfo {
  if (sh === 1 && sw === 1) return x;
  const [batch, height, width, channels] = x.shape as [number, number, number, number];
  const spread = k.reshape(x, [batch, height, 1, width, 1, channels]);
  const paddings = [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ];
  const padded = k.run("PadV2", { x: spread }, { paddings, constantValue: 0 });
  return k.reshape(padded, [batch, height * sh, width * sw, channels]);
}

/** x[:, top + sh * i, left + sw * j, :] for i < height, j < width (a JavaScript loop on wasm: keep it small). */
export function stridedView(
  k: KernelComposer,
  x: TensorInfo,
  [top, left]: [number, number],
  [height, width]: [number, number],
  [sh, sw]: [number, number],
): TensorInfo {
  const [batch, , , channels] = x.shape as [number, number, number, number];
  return k.run(
    "StridedSlice",
    { x },
    {
      begin: [0, top, left, 0],
      end: [batch, top + (height - 1) * sh + 1, left + (width - 1) * sw + 1, channels],
      strides: [1, sh, sw, 1],
      beginMask: 0,
      endMask: 0,
      ellipsisMask: 0,
      newAxisMask: 0,
      shrinkAxisMask: 0,
    },
  );
}
