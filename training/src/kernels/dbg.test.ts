import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-layers";
import { it } from "vitest";
import { relativeError, runOn, seededValues } from "./compare-backends.js";
import { registerWasmGradientKernels } from "./index.js";
it("dbg", async () => {
  registerWasmGradientKernels();
  for (const [size, k, st, pad, b] of [[12, 2, 2, "valid", 3], [11, 2, 2, "valid", 3], [12, 2, 2, "same", 3], [11, 2, 2, "same", 3], [12, 3, 2, "same", 1], [12, 2, 2, "valid", 1], [12, 2, 1, "same", 1], [8, 2, 2, "valid", 1]] as const) {
    const compute = () => {
      const x = tf.tensor4d(seededValues(b * size * size * 3, 21), [b, size, size, 3]);
      return [tf.grad((x: tf.Tensor4D) => tf.sum(tf.square(tf.maxPool(x, k, st, pad))))(x)];
    };
    const e = await runOn("cpu", compute);
    const a = await runOn("wasm", compute);
    console.log("maxpool", size, k, st, pad, b, relativeError(a[0]!, e[0]!));
  }
  for (const [name, f] of Object.entries({
    conv: (w: tf.Tensor4D) => tf.conv2d(tf.tensor4d(seededValues(3 * 11 * 11 * 3, 21), [3, 11, 11, 3]), w, 1, "same"),
    fusedconv: (w: tf.Tensor4D) => tf.fused.conv2d({ x: tf.tensor4d(seededValues(3 * 11 * 11 * 3, 21), [3, 11, 11, 3]), filter: w, strides: 1, pad: "same", bias: tf.ones([6]) }),
  })) {
    const compute = () => [tf.grad((w: tf.Tensor4D) => tf.sum(tf.square(f(w))))(tf.tensor4d(seededValues(3 * 3 * 3 * 6, 4), [3, 3, 3, 6]))];
    const e = await runOn("cpu", compute);
    const a = await runOn("wasm", compute);
    console.log("filter", name, relativeError(a[0]!, e[0]!));
  }
});
