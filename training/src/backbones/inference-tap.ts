/**
 * A frozen network's activations at named layers, for inference only. With one layer the network up
 * to it is batch-norm folded and compiled to fused kernels where the graph allows (several times
 * faster on wasm); otherwise it is the plain layers model, sharing the network's weights.
 */
import * as tfl from "@tensorflow/tfjs-layers";
import type { tf } from "../backend/index.js";
import { foldIfSupported } from "./fold-batchnorm.js";
import { compileFusedInference } from "./fused-inference.js";

export interface InferenceTap {
  /** One activation batch per requested layer, in order. */
  predict(input: tf.Tensor): tf.Tensor[];
  /** Each layer's activation shape without the batch axis. */
  shapes: number[][];
}

export async function inferenceTap(network: tfl.LayersModel, layerNames: readonly string[]): Promise<InferenceTap> {
  const [only] = layerNames;
  const fold = layerNames.length === 1 && only ? await foldIfSupported(network, { output: only }) : undefined;
  const folded = fold && "summary" in fold ? fold.model : undefined;
  const model =
    folded ??
    tfl.model({
      inputs: network.inputs,
      outputs: layerNames.map((name) => {
        const out = network.getLayer(name).output;
        if (Array.isArray(out)) throw new Error(`layer ${name} has several outputs`);
        return out;
      }),
    });
  const fused = folded ? compileFusedInference(folded) : undefined;
  return {
    predict: (input) => {
      const out = fused ? fused(input) : model.predict(input);
      return Array.isArray(out) ? out : [out];
    },
    shapes: model.outputs.map((output) => output.shape.slice(1) as number[]),
  };
}
