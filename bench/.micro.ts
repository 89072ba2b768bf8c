import { initBackend, tf } from "../training/src/backend/index.js";
await initBackend("wasm");
function time(name: string, f: () => tf.Tensor, n = 5) {
  tf.tidy(() => f().dataSync());
  const t0 = performance.now();
  for (let i = 0; i < n; i++) tf.tidy(() => f().dataSync());
  console.log(name.padEnd(40), ((performance.now() - t0) / n).toFixed(2), "ms");
}
const rows = 16 * 49;
const a = tf.randomNormal([rows, 112]);
const b = tf.randomNormal([rows, 1280]);
time("matmul transposeA", () => tf.matMul(a, b, true, false));
time("transpose + matmul", () => tf.matMul(tf.transpose(a), b));
time("matmul plain [rows,112]x[112,1280]", () => tf.matMul(a, tf.ones([112, 1280])));
const w = tf.randomNormal([1, 1, 112, 1280]);
const dy = tf.randomNormal([16, 7, 7, 1280]);
time("conv2dBackpropInput native 1x1", () => tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: w }, { strides: 1, pad: "valid", dataFormat: "NHWC", inputShape: [16, 7, 7, 112] } as any) as tf.Tensor);
time("matmul dy @ W^T", () => tf.matMul(tf.reshape(dy, [rows, 1280]), tf.reshape(w, [112, 1280]), false, true));
time("matmul dy @ transpose(W)", () => tf.matMul(tf.reshape(dy, [rows, 1280]), tf.transpose(tf.reshape(w, [112, 1280]))));
const w3 = tf.randomNormal([3, 3, 32, 64]);
const dy3 = tf.randomNormal([16, 14, 14, 64]);
time("conv2dBackpropInput native 3x3", () => tf.engine().runKernel("Conv2DBackpropInput", { dy: dy3, filter: w3 }, { strides: 1, pad: "same", dataFormat: "NHWC", inputShape: [16, 14, 14, 32] } as any) as tf.Tensor);
time("conv2d equivalent 3x3 (fwd cost)", () => tf.conv2d(dy3 as tf.Tensor4D, tf.transpose(tf.reverse(w3, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D, 1, "same"));
const v = tf.randomNormal([1, 1, 1, 1280]);
time("tile [1,1,1,C] -> [16,7,7,C]", () => tf.tile(v, [16, 7, 7, 1]));
time("fill zeros + add broadcast", () => tf.add(tf.zeros([16, 7, 7, 1280]), v));
time("mul broadcast dy*v", () => tf.mul(dy, v));
