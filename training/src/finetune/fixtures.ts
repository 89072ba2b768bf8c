/**
 * Test fixtures: a tiny MobileNetV2-shaped functional model (stem, one inverted-residual block with
 * a skip connection, head) built with seeded initialisers, optionally nested inside an outer model
 * the way the Keras MobileNetV2 export is.
 */
import {
  model as functionalModel,
  initializers,
  input,
  type LayersModel,
  layers,
  type SymbolicTensor,
} from "@tensorflow/tfjs-layers";

const seeded = (seed: number) => initializers.glorotUniform({ seed });

export function residualModel(size = 12): LayersModel {
  const image = input({ shape: [size, size, 3], name: "image" });
  const apply = (
    layer: { apply(x: SymbolicTensor | SymbolicTensor[]): unknown },
    x: SymbolicTensor | SymbolicTensor[],
  ) => layer.apply(x) as SymbolicTensor;
  let x = apply(
    layers.conv2d({
      filters: 8,
      kernelSize: 3,
      strides: 2,
      padding: "same",
      useBias: false,
      kernelInitializer: seeded(1),
      name: "stem",
    }),
    image,
  );
  x = apply(layers.batchNormalization({ name: "stem_bn", movingVarianceInitializer: "ones" }), x);
  const stem = apply(layers.reLU({ maxValue: 6, name: "stem_relu" }), x);
  let y = apply(layers.conv2d({ filters: 16, kernelSize: 1, kernelInitializer: seeded(2), name: "b_expand" }), stem);
  y = apply(layers.reLU({ maxValue: 6, name: "b_expand_relu" }), y);
  y = apply(
    layers.depthwiseConv2d({
      kernelSize: 3,
      padding: "same",
      useBias: false,
      depthwiseInitializer: seeded(3),
      name: "b_dw",
    }),
    y,
  );
  y = apply(layers.batchNormalization({ name: "b_dw_bn" }), y);
  y = apply(layers.conv2d({ filters: 8, kernelSize: 1, kernelInitializer: seeded(4), name: "b_project" }), y);
  const added = apply(layers.add({ name: "b_add" }), [stem, y]);
  const head = apply(
    layers.conv2d({ filters: 12, kernelSize: 1, activation: "relu", kernelInitializer: seeded(5), name: "head" }),
    added,
  );
  const pooled = apply(layers.globalAveragePooling2d({ name: "pool" }), head);
  return functionalModel({ inputs: image, outputs: pooled, name: "tiny_residual" });
}

/** `inner` wrapped as one layer of an outer functional model, followed by a dense layer. */
export function nestedModel(inner: LayersModel): LayersModel {
  const [, ...shape] = inner.inputs[0]?.shape ?? [];
  const outerInput = input({ shape: shape as number[], name: "outer_image" });
  const features = inner.apply(outerInput) as SymbolicTensor;
  const out = layers
    .dense({ units: 4, kernelInitializer: seeded(6), name: "outer_dense" })
    .apply(features) as SymbolicTensor;
  return functionalModel({ inputs: outerInput, outputs: out, name: "outer" });
}
