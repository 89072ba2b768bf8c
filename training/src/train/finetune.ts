/**
 * Fine-tuning from a named layer onward, on the same loop as frozen heads: the backbone is split
 * (training/src/finetune), the trunk's activation maps at the cut are embedded through the feature
 * pipeline and cache (pool: "none"), and the tail plus a fresh classifier train on them.
 */
import * as tfl from "@tensorflow/tfjs-layers";
import { type BackboneSpec, loadBackbone } from "../backbones/index.js";
import { activeBackend } from "../backend/index.js";
import { buildFineTuneModel, splitModel } from "../finetune/index.js";
import { registerWasmGradientKernels } from "../kernels/index.js";
import type { TrainConfig } from "./config.js";

export interface FineTuneSetup {
  /** The backbone spec whose "features" are the cut layer's activation maps. */
  activationSpec: BackboneSpec;
  activationShape: number[];
  /** Tail + classifier: activation map → logits. */
  model: tfl.LayersModel;
  /** The whole network, image → logits, sharing the trained layers. */
  joinTrunk(trained: tfl.LayersModel): tfl.LayersModel;
}

export async function prepareFineTune(
  specs: BackboneSpec[],
  layer: string,
  numClasses: number,
  config: Pick<TrainConfig, "head" | "seed">,
): Promise<FineTuneSetup> {
  if (specs.length !== 1) throw new Error("--finetune-from needs exactly one backbone");
  const spec = specs[0] as BackboneSpec;
  // The wasm backend lacks three convolution gradient kernels; these compositions stand in for them.
  if (activeBackend()?.active === "wasm") registerWasmGradientKernels();
  const backbone = await loadBackbone(spec);
  const { trunk, tail, activationShape } = splitModel(backbone.full, layer);
  const model = buildFineTuneModel(tail, numClasses, { dropout: config.head.dropout, seed: config.seed });
  return {
    activationSpec: { ...spec, layer, pool: "none" },
    activationShape,
    model,
    joinTrunk: (trained) => {
      const logits = trained.apply(trunk.outputs[0] as tfl.SymbolicTensor) as tfl.SymbolicTensor;
      return tfl.model({ inputs: trunk.inputs, outputs: logits, name: `${backbone.full.name}_finetuned` });
    },
  };
}
