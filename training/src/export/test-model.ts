/** A tiny real convolutional classifier for export and evaluate tests (not used by the product). */
import { exampleCard } from "@pifu/core/testing";
import * as tfl from "@tensorflow/tfjs-layers";
import type { CardFields } from "./card.js";

export function tinyClassifier(inputSize: number, numClasses: number, seed = 1): tfl.LayersModel {
  const input = tfl.input({ shape: [inputSize, inputSize, 3], name: "image" });
  const init = (s: number) => tfl.initializers.glorotUniform({ seed: seed * 10 + s });
  let x = tfl.layers
    .conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: "same", kernelInitializer: init(1), name: "conv" })
    .apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ name: "bn" }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({ maxValue: 6, name: "relu" }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers
    .depthwiseConv2d({ kernelSize: 3, padding: "same", depthwiseInitializer: init(2), name: "dw" })
    .apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.globalAveragePooling2d({ name: "gap" }).apply(x) as tfl.SymbolicTensor;
  const logits = tfl.layers
    .dense({ units: numClasses, kernelInitializer: init(3), biasInitializer: "zeros", name: "logits" })
    .apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits, name: "tiny" });
}

/** Card fields for a test export of a model with the given input side. */
export async function testCardFields(inputSize: number): Promise<CardFields> {
  const card = await exampleCard({ placeholder: new Uint8Array(1) });
  const fields: Partial<typeof card> = { ...card };
  delete fields.schemaVersion;
  delete fields.files;
  delete fields.modelFile;
  delete fields.quantization;
  return { ...(fields as CardFields), preprocessing: { ...card.preprocessing, inputSize } };
}
