import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import { initializers, input, type LayersModel, layers, model, type SymbolicTensor } from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { residualModel } from "../finetune/fixtures.js";
import { relativeError, runOn, seededValues } from "./compare-backends.js";
import { registerWasmGradientKernels } from "./index.js";

/** Darknet-style layers the MobileNetV2 fixture lacks: leaky ReLU, max pooling, channel multiplier 2. */
function darknetStyleModel(): LayersModel {
  const image = input({ shape: [11, 11, 3] });
  const seeded = (seed: number) => initializers.glorotUniform({ seed });
  let x = layers
    .conv2d({ filters: 6, kernelSize: 3, padding: "same", useBias: false, kernelInitializer: seeded(7) })
    .apply(image);
  x = layers.batchNormalization().apply(x);
  x = layers.leakyReLU({ alpha: 0.1 }).apply(x);
  x = layers.maxPooling2d({ poolSize: 2, strides: 2 }).apply(x);
  x = layers
    .depthwiseConv2d({ kernelSize: 5, depthMultiplier: 2, strides: 2, depthwiseInitializer: seeded(8) })
    .apply(x);
  x = layers.globalAveragePooling2d({}).apply(x);
  return model({ inputs: image, outputs: x as SymbolicTensor });
}

function lossAndGrads(net: LayersModel, batchSize: number): () => tf.Tensor[] {
  const shape = net.inputs[0]?.shape.slice(1) as number[];
  const size = batchSize * shape.reduce((a, b) => a * b, 1);
  return () => {
    const x = tf.tensor(seededValues(size, 21), [batchSize, ...shape]);
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.square(net.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
    );
    return [value, ...net.trainableWeights.map((weight) => grads[(weight.read() as tf.Variable).name] as tf.Tensor)];
  };
}

beforeAll(async () => {
  registerWasmGradientKernels();
  expect(await tf.setBackend("wasm")).toBe(true);
});

describe("gradients through whole networks on wasm match cpu", () => {
  it.each([
    ["MobileNetV2-style (conv, batch norm, relu6, depthwise, residual add)", residualModel],
    ["Darknet-style (leaky relu, max pool, depthwise multiplier 2)", darknetStyleModel],
  ])("%s", async (_name, build) => {
    const net = build();
    const compute = lossAndGrads(net, 3);
    const expected = await runOn("cpu", compute);
    const actual = await runOn("wasm", compute);
    expect(actual).toHaveLength(net.trainableWeights.length + 1);
    actual.forEach((values, i) => {
      const name = i === 0 ? "loss" : net.trainableWeights[i - 1]?.originalName;
      expect(relativeError(values, expected[i] as Float32Array), name).toBeLessThan(1e-4);
    });
  });

  it("leaks neither tensors nor wasm buffers over repeated steps", async () => {
    const net = residualModel();
    const compute = lossAndGrads(net, 2);
    await runOn("wasm", compute);
    const backend = tf.engine().backend;
    const before = { tensors: tf.memory().numTensors, buffers: backend.numDataIds() };
    for (let step = 0; step < 3; step++) await runOn("wasm", compute);
    expect({ tensors: tf.memory().numTensors, buffers: backend.numDataIds() }).toEqual(before);
  });
});
