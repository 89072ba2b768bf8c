import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { hasShared, sharedDir } from "../../../vitest.shared.js";
import { loadLayersModelFrom } from "../backbones/load.js";
import { relativeError, runOn, seededValues } from "../kernels/compare-backends.js";
import { registerWasmGradientKernels } from "../kernels/index.js";
import { buildFineTuneModel } from "./classifier.js";
import { listCutPoints, splitModel } from "./split.js";

const location = join(sharedDir, "backbones/mobilenet_v2_0.35_224");
if (!hasShared) console.warn(`skipping the MobileNetV2 fine-tuning checks: ${location} is absent`);

describe.skipIf(!hasShared)("MobileNetV2-0.35 from ../shared", () => {
  beforeAll(async () => {
    registerWasmGradientKernels();
    expect(await tf.setBackend("wasm")).toBe(true);
  });

  it("cuts at block outputs and between blocks, never inside a residual block", async () => {
    const { model } = await loadLayersModelFrom(location);
    const cuts = listCutPoints(model);
    expect(cuts).toEqual(
      expect.arrayContaining(["block_12_add", "block_14_add", "block_15_add", "block_16_project_BN"]),
    );
    expect(cuts).not.toContain("block_14_project_BN");
    expect(() => splitModel(model, "block_15_depthwise")).toThrow(/skip connection crosses the cut/);
  });

  // Three passes of the real network: about 2 s idle, over 5 s on a busy 2-core machine.
  it("trunk then tail reproduces the backbone's features", { timeout: 60_000 }, async () => {
    const { model } = await loadLayersModelFrom(location);
    const { trunk, tail } = splitModel(model, "block_12_add");
    tf.tidy(() => {
      const x = tf.tensor4d(seededValues(2 * 224 * 224 * 3, 1), [2, 224, 224, 3]);
      const composed = tail.predict(trunk.predict(x) as tf.Tensor) as tf.Tensor;
      expect(relativeError(composed.dataSync(), (model.predict(x) as tf.Tensor).dataSync())).toBeLessThan(1e-5);
    });
  });

  it("fine-tuning gradients of the tail from block_13 on wasm match cpu", async () => {
    const { model } = await loadLayersModelFrom(location);
    const { tail, activationShape } = splitModel(model, "block_12_add");
    const net = buildFineTuneModel(tail, 8, { dropout: 0, seed: 3 });
    const size = 2 * activationShape.reduce((a, b) => a * b, 1);
    const compute = () => {
      const x = tf.tensor(seededValues(size, 2), [2, ...activationShape]);
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.square(net.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
      );
      return [value, ...net.trainableWeights.map((weight) => grads[(weight.read() as tf.Variable).name] as tf.Tensor)];
    };
    const expected = await runOn("cpu", compute);
    const actual = await runOn("wasm", compute);
    actual.forEach((values, i) => {
      const name = i === 0 ? "loss" : net.trainableWeights[i - 1]?.originalName;
      expect(relativeError(values, expected[i] as Float32Array), name).toBeLessThan(1e-4);
    });
  }, 120_000);
});
