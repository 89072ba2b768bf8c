import * as tfl from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, tf } from "../backend/index.js";
import { Rng } from "../data/rng.js";
import { nestedModel, residualModel } from "../finetune/fixtures.js";
import { adaptBatchNorms } from "./adapt-batchnorm.js";

beforeAll(async () => {
  await initBackend("wasm");
});

/** Images unlike the ones the statistics came from: values around 2 instead of around 0. */
function shiftedImages(count: number, rng: Rng): tf.Tensor4D {
  const values = Float32Array.from({ length: count * 12 * 12 * 3 }, () => 2 + rng.next() * 3);
  return tf.tensor4d(values, [count, 12, 12, 3]);
}

function batchesOf(images: tf.Tensor4D, size: number): tf.Tensor4D[] {
  const out: tf.Tensor4D[] = [];
  for (let start = 0; start < images.shape[0]; start += size)
    out.push(tf.slice(images, start, Math.min(size, images.shape[0] - start)));
  return out;
}

/** Per-channel mean and variance of `layer`'s input over `images`, the network in inference mode. */
function inputMoments(network: tfl.LayersModel, layer: string, images: tf.Tensor4D) {
  const input = network.getLayer(layer).input as tfl.SymbolicTensor;
  const tap = tfl.model({ inputs: network.inputs, outputs: input });
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(tap.predict(images) as tf.Tensor, [0, 1, 2]);
    return { mean: mean.dataSync() as Float32Array, variance: variance.dataSync() as Float32Array };
  });
}

const statistics = (network: tfl.LayersModel, layer: string) => {
  const [, , mean, variance] = network.getLayer(layer).getWeights();
  return { mean: mean?.dataSync() as Float32Array, variance: variance?.dataSync() as Float32Array };
};

const close = (a: Float32Array, b: Float32Array, tolerance: number) =>
  Array.from(a).every((x, i) => Math.abs(x - (b[i] as number)) <= tolerance * (1 + Math.abs(b[i] as number)));

describe("adaptBatchNorms", () => {
  it("replaces every batch norm's statistics with what it sees on the new images, later layers included", async () => {
    const network = residualModel(12);
    const images = shiftedImages(96, new Rng(7));
    const kernelBefore = network.getLayer("stem").getWeights()[0]?.dataSync().slice();
    const imagenetMean = statistics(network, "stem_bn").mean.slice();

    const adapted = await adaptBatchNorms(network, batchesOf(images, 16));

    expect(adapted).toEqual({ layers: 2, images: 96 });
    for (const layer of ["stem_bn", "b_dw_bn"]) {
      const seen = inputMoments(network, layer, images);
      const stored = statistics(network, layer);
      // Batch statistics average to the data's mean; per-batch variances run a little below the pooled one.
      expect(close(stored.mean, seen.mean, 0.02)).toBe(true);
      expect(close(stored.variance, seen.variance, 0.1)).toBe(true);
    }
    expect(close(statistics(network, "stem_bn").mean, imagenetMean, 0.02)).toBe(false);
    expect(network.getLayer("stem").getWeights()[0]?.dataSync()).toEqual(kernelBefore);
    images.dispose();
  });

  it("reaches batch norms inside a nested model and restores each layer's momentum", async () => {
    const inner = residualModel(12);
    const outer = nestedModel(inner);
    const images = shiftedImages(32, new Rng(8));
    await adaptBatchNorms(outer, batchesOf(images, 16));
    const seen = inputMoments(inner, "stem_bn", images);
    expect(close(statistics(inner, "stem_bn").mean, seen.mean, 0.02)).toBe(true);
    expect((inner.getLayer("stem_bn") as unknown as { momentum: number }).momentum).toBe(0.99);
    images.dispose();
  });

  it("refuses a network without batch norms and an empty image set", async () => {
    const input = tfl.input({ shape: [4] });
    const plain = tfl.model({
      inputs: input,
      outputs: tfl.layers.dense({ units: 2 }).apply(input) as tfl.SymbolicTensor,
    });
    await expect(adaptBatchNorms(plain, [])).rejects.toThrow(/no batch norms/);
    await expect(adaptBatchNorms(residualModel(12), [])).rejects.toThrow(/no images/);
  });
});
