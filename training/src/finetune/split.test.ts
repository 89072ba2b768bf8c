import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { relativeError, seededValues } from "../kernels/compare-backends.js";
import { nestedModel, residualModel } from "./fixtures.js";
import { CutPointError, listCutPoints, splitModel } from "./split.js";

function batch(size = 12, n = 3): tf.Tensor4D {
  return tf.tensor4d(seededValues(n * size * size * 3, 11), [n, size, size, 3]);
}

function expectComposedEqual(model: LayersModel, layerName: string) {
  const { trunk, tail, activationShape } = splitModel(model, layerName);
  tf.tidy(() => {
    const x = batch();
    const activation = trunk.predict(x) as tf.Tensor;
    expect(activation.shape.slice(1)).toEqual(activationShape);
    const composed = tail.predict(activation) as tf.Tensor;
    const original = model.predict(x) as tf.Tensor;
    expect(composed.shape).toEqual(original.shape);
    expect(relativeError(composed.dataSync(), original.dataSync())).toBeLessThan(1e-6);
  });
}

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("listCutPoints", () => {
  it("lists the layers whose single activation carries everything downstream", () => {
    expect(listCutPoints(residualModel())).toEqual(["stem", "stem_bn", "stem_relu", "b_add", "head"]);
  });

  it("reaches into a nested model", () => {
    const points = listCutPoints(nestedModel(residualModel()));
    expect(points).toEqual(["stem", "stem_bn", "stem_relu", "b_add", "head", "pool"]);
  });
});

describe("splitModel", () => {
  it.each(["stem", "stem_relu", "b_add", "head"])("trunk then tail equals the model when cut at %s", (name) => {
    expectComposedEqual(residualModel(), name);
  });

  it("splits inside a nested model and keeps the outer layers in the tail", () => {
    const model = nestedModel(residualModel());
    expectComposedEqual(model, "b_add");
    const { tail } = splitModel(model, "b_add");
    expect(tail.layers.map((layer) => layer.name)).toEqual(["b_add_activation", "head", "pool", "outer_dense"]);
  });

  it("shares weights with the original model", () => {
    const model = residualModel();
    const { tail } = splitModel(model, "stem_relu");
    expect(tail.getLayer("b_project")).toBe(model.getLayer("b_project"));
  });

  it("refuses a cut crossed by the skip connection and lists the valid ones", () => {
    const model = residualModel();
    const attempt = () => splitModel(model, "b_dw");
    expect(attempt).toThrow(CutPointError);
    expect(attempt).toThrow(/"stem_relu" skips past "b_dw".*Valid cut points: stem, stem_bn, stem_relu, b_add, head/);
  });

  it("refuses unknown layers, the input and the output", () => {
    const model = residualModel();
    expect(() => splitModel(model, "nope")).toThrow(/no layer named "nope".*Valid cut points/);
    expect(() => splitModel(model, "image")).toThrow(/model's input/);
    expect(() => splitModel(model, "pool")).toThrow(/model's output/);
  });
});
