import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { seededValues } from "../kernels/compare-backends.js";
import { registerWasmGradientKernels } from "../kernels/index.js";
import { buildFineTuneModel } from "./classifier.js";
import { residualModel } from "./fixtures.js";
import { splitModel } from "./split.js";

beforeAll(async () => {
  registerWasmGradientKernels();
  expect(await tf.setBackend("wasm")).toBe(true);
});

describe("buildFineTuneModel", () => {
  it("puts a logits layer on the tail, pooling a feature-map tail first", () => {
    const { tail } = splitModel(residualModel(), "stem_relu");
    const beforePool = splitModel(tail, "head").trunk;
    const model = buildFineTuneModel(beforePool, 5, { dropout: 0, seed: 1 });
    expect(model.outputs[0]?.shape).toEqual([null, 5]);
    expect(model.layers.map((layer) => layer.name).slice(-2)).toEqual(["logits_pool", "logits"]);
    expect(model.getLayer("logits").getConfig().activation).toBe("linear");
  });

  it("trains the tail's weights except frozen batch norm, which stays in inference mode", () => {
    const { tail } = splitModel(residualModel(), "stem_relu");
    const model = buildFineTuneModel(tail, 3, { dropout: 0, seed: 1 });
    const trainable = model.trainableWeights.map((weight) => weight.originalName);
    expect(trainable).toEqual(expect.arrayContaining(["b_expand/kernel", "b_dw/depthwise_kernel", "logits/kernel"]));
    expect(trainable.some((name) => name.startsWith("b_dw_bn/"))).toBe(false);
    tf.tidy(() => {
      const x = tf.tensor4d(seededValues(2 * 6 * 6 * 8, 3), [2, 6, 6, 8]);
      const inference = model.predict(x) as tf.Tensor;
      const training = model.apply(x, { training: true }) as tf.Tensor;
      expect(Array.from(training.dataSync())).toEqual(Array.from(inference.dataSync()));
    });
  });

  it("can leave batch norm trainable, and undoes an earlier freeze", () => {
    const { tail } = splitModel(residualModel(), "stem_relu");
    buildFineTuneModel(tail, 3, { seed: 1 });
    const model = buildFineTuneModel(tail, 3, { dropout: 0, freezeBatchNorm: false, seed: 1 });
    expect(model.trainableWeights.map((weight) => weight.originalName)).toContain("b_dw_bn/gamma");
    tf.tidy(() => {
      const x = tf.tensor4d(seededValues(2 * 6 * 6 * 8, 3), [2, 6, 6, 8]);
      const inference = model.predict(x) as tf.Tensor;
      const training = model.apply(x, { training: true }) as tf.Tensor;
      expect(Array.from(training.dataSync())).not.toEqual(Array.from(inference.dataSync()));
    });
  });

  it("learns on wasm with the registered gradient kernels", () => {
    const { trunk, tail } = splitModel(residualModel(), "stem_relu");
    const model = buildFineTuneModel(tail, 2, { dropout: 0, seed: 2 });
    const images = tf.tensor4d(seededValues(16 * 12 * 12 * 3, 5), [16, 12, 12, 3]);
    // label: is the image's mean red value above zero
    const red = tf.mean(tf.slice(images, [0, 0, 0, 0], [16, 12, 12, 1]), [1, 2, 3]);
    const labels = tf.oneHot(tf.cast(tf.greater(red, 0), "int32"), 2);
    const activations = trunk.predict(images) as tf.Tensor;
    const optimizer = tf.train.adam(0.01);
    const lossOf = () =>
      tf.losses.softmaxCrossEntropy(labels, model.apply(activations, { training: true }) as tf.Tensor) as tf.Scalar;
    const first = tf.tidy(() => lossOf().dataSync()[0] as number);
    for (let step = 0; step < 40; step++) optimizer.minimize(lossOf, true)?.dispose();
    const last = tf.tidy(() => lossOf().dataSync()[0] as number);
    expect(last).toBeLessThan(first * 0.5);
    tf.dispose([images, red, labels, activations]);
    optimizer.dispose();
  });

  it("rejects a bad class count or dropout with a clear error", () => {
    const { tail } = splitModel(residualModel(), "stem_relu");
    expect(() => buildFineTuneModel(tail, 1)).toThrow(/numClasses must be an integer >= 2/);
    expect(() => buildFineTuneModel(tail, 3, { dropout: 1 })).toThrow(/dropout must be in \[0, 1\)/);
  });
});
