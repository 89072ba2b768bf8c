import * as tfl from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, tf } from "../backend/index.js";
import { Rng } from "../data/rng.js";
import { cutAt } from "./cut.js";
import { foldForInference } from "./fold-batchnorm.js";
import { compileFusedInference } from "./fused-inference.js";

/** Largest |a−b| relative to the largest |a|. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(a[i] as number));
  }
  return diff / scale;
}

/** Non-trivial BatchNormalization statistics, so a wrong fold cannot pass by accident. */
function randomiseBatchNorms(model: tfl.LayersModel, rng: Rng): void {
  for (const layer of model.layers) {
    if (layer instanceof tfl.LayersModel) randomiseBatchNorms(layer, rng);
    else if (layer.getClassName() === "BatchNormalization" || layer.getClassName() === "DepthwiseConv2D") {
      layer.setWeights(
        layer.getWeights().map((w) => {
          const name = layer.weights[layer.getWeights().indexOf(w)]?.originalName ?? "";
          const values = Float32Array.from({ length: w.size }, () =>
            name.endsWith("variance") ? 0.2 + rng.next() : name.endsWith("gamma") ? 0.5 + rng.next() : rng.next() - 0.5,
          );
          return tf.tensor(values, w.shape);
        }),
      );
    }
  }
}

/** A MobileNetV2-like block inside a nested model: pad → conv → BN → ReLU6 → depthwise → BN → ReLU6 → 1×1 conv → BN → ReLU, plus a skip. */
function tinyConvBnModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [12, 12, 3], name: "inner_input" });
  let x = tfl.layers
    .zeroPadding2d({
      padding: [
        [0, 1],
        [0, 1],
      ],
      name: "pad",
    })
    .apply(input) as tfl.SymbolicTensor;
  x = tfl.layers
    .conv2d({
      filters: 6,
      kernelSize: 3,
      strides: 2,
      padding: "valid",
      useBias: false,
      name: "conv",
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
    })
    .apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ name: "conv_bn" }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({ maxValue: 6, name: "conv_relu6" }).apply(x) as tfl.SymbolicTensor;
  const skip = x;
  x = tfl.layers
    .depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: "same", useBias: true, name: "dw" })
    .apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ name: "dw_bn" }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({ maxValue: 6, name: "dw_relu6" }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers
    .conv2d({
      filters: 6,
      kernelSize: 1,
      useBias: false,
      name: "project",
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
    })
    .apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ name: "project_bn" }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({ name: "project_relu" }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.add({ name: "add" }).apply([x, skip]) as tfl.SymbolicTensor;
  const inner = tfl.model({ inputs: input, outputs: x, name: "inner" });
  const outer = tfl.sequential({ name: "outer" });
  outer.add(tfl.layers.inputLayer({ inputShape: [12, 12, 3], name: "image" }));
  outer.add(inner);
  outer.add(tfl.layers.globalAveragePooling2d({ name: "gap" }));
  return outer;
}

describe("foldForInference", () => {
  let model: tfl.LayersModel;
  let input: tf.Tensor;
  beforeAll(async () => {
    await initBackend("wasm");
    model = tinyConvBnModel();
    randomiseBatchNorms(model, new Rng(5));
    const rng = new Rng(9);
    input = tf.tensor4d(
      Float32Array.from({ length: 2 * 12 * 12 * 3 }, () => rng.next() * 2 - 1),
      [2, 12, 12, 3],
    );
  });

  it("folds BatchNormalization, ReLU and same-padding into the convs with outputs equal within 1e-4", async () => {
    const { model: folded, summary } = await foldForInference(model);
    expect(summary).toMatchObject({ batchNorms: 3, activations: 1, paddings: 1 });
    const classes = folded.layers.map((l) => l.getClassName());
    expect(classes).not.toContain("BatchNormalization");
    expect(classes).not.toContain("ZeroPadding2D");
    expect(classes).not.toContain("Sequential");
    const expected = (model.predict(input) as tf.Tensor).dataSync() as Float32Array;
    const actual = (folded.predict(input) as tf.Tensor).dataSync() as Float32Array;
    expect(actual).toHaveLength(2 * 6);
    expect(relativeError(expected, actual)).toBeLessThan(1e-4);
    // The original keeps its own weights: folding wrote into fresh tensors.
    expect((model.predict(input) as tf.Tensor).dataSync()).toEqual(expected);
  });

  it("cuts at a named inner layer, even one that folding removes", async () => {
    const inner = model.layers.find((l) => l.name === "inner") as tfl.LayersModel;
    for (const layer of ["conv_relu6", "dw_bn"]) {
      const reference = cutAt(
        tfl.model({ inputs: inner.inputs, outputs: inner.getLayer(layer).output as tfl.SymbolicTensor }),
      );
      const { model: folded } = await foldForInference(model, { output: layer });
      const expected = (reference.predict(input) as tf.Tensor).dataSync() as Float32Array;
      const actual = (cutAt(folded, undefined, true, layer).predict(input) as tf.Tensor).dataSync() as Float32Array;
      expect(relativeError(expected, actual)).toBeLessThan(1e-4);
    }
    await expect(foldForInference(model, { output: "nope" })).rejects.toThrow(/project_bn/);
  });
});

describe("compileFusedInference", () => {
  it("runs a folded model with fused conv + bias + ReLU6 / ReLU / LeakyReLU kernels and the same outputs", async () => {
    await initBackend("wasm");
    const mobile = tinyConvBnModel();
    randomiseBatchNorms(mobile, new Rng(6));
    const input = tf.randomUniform([2, 12, 12, 3], -1, 1, "float32", 4);
    const { model: folded } = await foldForInference(mobile);
    const infer = compileFusedInference(folded);
    expect(infer).toBeDefined();
    const expected = (mobile.predict(input) as tf.Tensor).dataSync() as Float32Array;
    const actual = infer?.(input).dataSync() as Float32Array;
    expect(relativeError(expected, actual)).toBeLessThan(1e-4);

    const leaky = tfl.sequential({ name: "leaky" });
    leaky.add(tfl.layers.conv2d({ inputShape: [12, 12, 3], filters: 4, kernelSize: 3, useBias: false, name: "c" }));
    leaky.add(tfl.layers.batchNormalization({ name: "c_bn" }));
    leaky.add(tfl.layers.leakyReLU({ alpha: 0.1, name: "c_leaky" }));
    leaky.add(tfl.layers.maxPooling2d({ poolSize: 2, name: "pool" }));
    leaky.add(tfl.layers.globalAveragePooling2d({ name: "gap" }));
    randomiseBatchNorms(leaky, new Rng(7));
    const { model: foldedLeaky } = await foldForInference(leaky);
    const reference = (leaky.predict(input) as tf.Tensor).dataSync() as Float32Array;
    const fused = compileFusedInference(foldedLeaky)?.(input).dataSync() as Float32Array;
    expect(relativeError(reference, fused)).toBeLessThan(1e-4);
  });

  it("declines nested models, which predict must run", () => {
    expect(compileFusedInference(tinyConvBnModel())).toBeUndefined();
  });
});
