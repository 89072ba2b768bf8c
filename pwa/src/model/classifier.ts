/** A loaded model: preprocessed pixels in, logits out. Tensors are released after every call. */
import type { ModelCard } from "@pifu/core";
import * as tf from "@tensorflow/tfjs-core";
import { type LayersModel, loadLayersModel } from "@tensorflow/tfjs-layers";
import { modelArtifacts } from "./artifacts.js";

export interface Classifier {
  readonly card: ModelCard;
  /** Logits for `batch` preprocessed images laid out back to back (HWC each), batch-major. */
  logits(input: Float32Array, batch?: number): Promise<Float32Array>;
  dispose(): void;
}

class LayersClassifier implements Classifier {
  constructor(
    readonly card: ModelCard,
    private readonly model: LayersModel,
  ) {}

  async logits(input: Float32Array, batch = 1): Promise<Float32Array> {
    const side = this.card.preprocessing.inputSize;
    const output = tf.tidy(() => this.model.predict(tf.tensor4d(input, [batch, side, side, 3])) as tf.Tensor);
    try {
      const expected = [batch, this.card.classes.length];
      if (output.shape.join() !== expected.join()) {
        throw new Error(`the model outputs shape [${output.shape}], the card implies [${expected}]`);
      }
      return (await output.data()) as Float32Array;
    } finally {
      output.dispose();
    }
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** Loads a verified model folder and runs it once so the first real image is not slow. */
export async function loadClassifier(card: ModelCard, files: ReadonlyMap<string, Uint8Array>): Promise<Classifier> {
  const model = await loadLayersModel(tf.io.fromMemory(modelArtifacts(card.modelFile, files)));
  const classifier = new LayersClassifier(card, model);
  try {
    const side = card.preprocessing.inputSize;
    await classifier.logits(new Float32Array(side * side * 3));
  } catch (error) {
    classifier.dispose();
    throw error;
  }
  return classifier;
}
