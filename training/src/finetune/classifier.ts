/**
 * A fine-tuning model: the tail of a split backbone with a fresh linear classifier producing logits
 * (no softmax, as the shared model-folder format requires).
 */
import {
  model as functionalModel,
  initializers,
  type LayersModel,
  layers,
  type SymbolicTensor,
} from "@tensorflow/tfjs-layers";

export interface FineTuneOptions {
  /** dropout rate before the classifier; 0 disables it */
  dropout: number;
  /**
   * Keep BatchNormalization layers in inference mode (moving statistics) and untrained. Fine-tuning
   * with small batches otherwise replaces the pretrained statistics with noisy batch ones.
   */
  freezeBatchNorm: boolean;
  /** seed for the classifier's initial weights and the dropout mask */
  seed?: number;
  /** name of the logits layer */
  classifierName: string;
}

const defaults: FineTuneOptions = { dropout: 0.2, freezeBatchNorm: true, classifierName: "logits" };

type Layer = LayersModel["layers"][number];

function isBatchNorm(layer: Layer): boolean {
  return layer.getClassName() === "BatchNormalization";
}

/** The original `call` of each BatchNormalization layer currently forced into inference mode. */
const unpatchedCalls = new WeakMap<Layer, Layer["call"]>();

/**
 * tfjs-layers hands every layer the caller's `training` flag and ignores per-node call arguments, so
 * inference mode is forced on the layer instance itself; its class, and so the saved model, is unchanged.
 */
function setInferenceMode(layer: Layer, inference: boolean): void {
  const original = unpatchedCalls.get(layer);
  if (inference && !original) {
    const call = layer.call.bind(layer);
    unpatchedCalls.set(layer, layer.call);
    layer.call = (inputs, kwargs) => call(inputs, { ...kwargs, training: false });
  } else if (!inference && original) {
    layer.call = original;
    unpatchedCalls.delete(layer);
  }
}

/**
 * Puts a fresh classifier on `tail` (global average pooling first when the tail ends in a feature
 * map). The tail's layers are made trainable; they are shared with the model it was split from.
 */
export function buildFineTuneModel(
  tail: LayersModel,
  numClasses: number,
  options: Partial<FineTuneOptions> = {},
): LayersModel {
  const { dropout, freezeBatchNorm, seed, classifierName } = { ...defaults, ...options } satisfies FineTuneOptions;
  if (!Number.isInteger(numClasses) || numClasses < 2)
    throw new Error(`numClasses must be an integer >= 2, got ${numClasses}`);
  if (!(dropout >= 0 && dropout < 1)) throw new Error(`dropout must be in [0, 1), got ${dropout}`);
  if (tail.outputs.length !== 1)
    throw new Error(`the tail must have one output, "${tail.name}" has ${tail.outputs.length}`);
  for (const layer of tail.layers) {
    const frozen = freezeBatchNorm && isBatchNorm(layer);
    layer.trainable = !frozen;
    if (isBatchNorm(layer)) setInferenceMode(layer, frozen);
  }
  let features = tail.outputs[0] as SymbolicTensor;
  if (features.rank === 4)
    features = layers.globalAveragePooling2d({ name: `${classifierName}_pool` }).apply(features) as SymbolicTensor;
  if (features.rank !== 2)
    throw new Error(`the tail's output must be [batch, features] or NHWC, got shape [${features.shape}]`);
  if (dropout > 0)
    features = layers
      .dropout({ rate: dropout, seed, name: `${classifierName}_dropout` })
      .apply(features) as SymbolicTensor;
  const logits = layers
    .dense({ units: numClasses, name: classifierName, kernelInitializer: initializers.glorotUniform({ seed }) })
    .apply(features) as SymbolicTensor;
  return functionalModel({ inputs: tail.inputs, outputs: logits, name: `${tail.name}_finetune` });
}
