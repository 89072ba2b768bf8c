import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend, tf } from "../backend/index.js";
import { exportModelFolder } from "../export/card.js";
import { loadLayersModelFromDir } from "../export/load.js";
import { testCardFields } from "../export/test-model.js";
import { splitModel } from "../finetune/index.js";
import { registerWasmGradientKernels } from "../kernels/index.js";
import { backboneShapedNetwork } from "../testing/fixtures.js";
import { buildHead, forward } from "../train/head.js";
import { assembleStudent, foldStudent } from "./assemble.js";

let dir: string;
beforeAll(async () => {
  await initBackend("wasm");
  registerWasmGradientKernels();
  dir = await mkdtemp(join(tmpdir(), "pifu-assemble-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const network = () => backboneShapedNetwork(12, 8, 16);

describe("the exported student", () => {
  it("carries the tail weights trained on cached activations and the head", async () => {
    const net = network();
    const head = buildHead(16, 4, { hidden: [8], dropout: 0.3 }, 3);
    const { trunk, tail } = splitModel(net, "stem_relu");
    const x = tf.randomUniform([5, 12, 12, 3], -1, 1, "float32", 9);
    const cached = trunk.predict(x) as tf.Tensor;
    const before = (net.getLayer("Conv_1").getWeights()[0] as tf.Tensor).dataSync().slice();
    for (const layer of tail.layers) layer.trainable = layer.name === "Conv_1";
    const labels = tf.tensor1d([0, 1, 2, 3, 0], "int32");
    tf.train
      .sgd(0.5)
      .minimize(
        () =>
          tf.losses.softmaxCrossEntropy(
            tf.oneHot(labels, 4),
            forward(head, tf.mean(tail.apply(cached, { training: false }) as tf.Tensor, [1, 2]), false),
          ) as tf.Scalar,
      );
    const after = (net.getLayer("Conv_1").getWeights()[0] as tf.Tensor).dataSync();
    expect(Array.from(after)).not.toEqual(Array.from(before));

    const viaTail = forward(head, tf.mean(tail.predict(cached) as tf.Tensor, [1, 2]), false).dataSync();
    const student = assembleStudent(net, head);
    await exportModelFolder(student, dir, await testCardFields(12), "float32");
    const reloaded = await loadLayersModelFromDir(dir);
    const exported = (reloaded.predict(x) as tf.Tensor).dataSync();
    for (let i = 0; i < viaTail.length; i++) expect(exported[i]).toBeCloseTo(viaTail[i] as number, 5);
  });

  it("exports with its batch norms folded and the same logits", async () => {
    const net = network();
    const head = buildHead(16, 4, { hidden: [8], dropout: 0.3 }, 3);
    const moving = net.getLayer("Conv_1_bn");
    const [gamma, beta] = moving.getWeights();
    moving.setWeights([
      gamma as tf.Tensor,
      beta as tf.Tensor,
      tf.randomUniform([16], -0.5, 0.5, "float32", 4),
      tf.randomUniform([16], 0.5, 2, "float32", 5),
    ]);
    const student = assembleStudent(net, head);
    const folded = await foldStudent(student);
    expect(student.layers.some((layer) => layer.getClassName() === "BatchNormalization")).toBe(true);
    expect(folded.layers.some((layer) => layer.getClassName() === "BatchNormalization")).toBe(false);
    const x = tf.randomUniform([3, 12, 12, 3], -1, 1, "float32", 11);
    await exportModelFolder(folded, dir, await testCardFields(12), "float32");
    const reloaded = await loadLayersModelFromDir(dir);
    const expected = (student.predict(x) as tf.Tensor).dataSync();
    const actual = (reloaded.predict(x) as tf.Tensor).dataSync();
    for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i] as number, 4);
  });
});
