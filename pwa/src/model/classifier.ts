/**
 * A loaded model: preprocessed pixels in, logits out. Tensors are released after every call, and the
 * model itself once disposed and no longer held by running work.
 */
import { type ModelCard, modelShapeMismatch } from "@pifu/core";
import * as tf from "@tensorflow/tfjs-core";
import { type LayersModel, loadLayersModel } from "@tensorflow/tfjs-layers";
import { modelArtifacts } from "./artifacts.js";
import { Lease } from "./lease.js";

export interface Classifier {
  readonly card: ModelCard;
  /** Logits for `batch` preprocessed images laid out back to back (HWC each), batch-major. */
  logits(input: Float32Array, batch?: number): Promise<Float32Array>;
  /**
   * Runs `work` (several model calls, say) with the model kept loaded until it settles, even when
   * dispose() is called meanwhile. Throws ReleasedError once the model has been freed.
   */
  hold<T>(work: () => Promise<T>): Promise<T>;
  /** Frees the model now, or when the last `hold` ends. */
  dispose(): void;
}

class LayersClassifier implements Classifier {
  private readonly lease: Lease;

  constructor(
    readonly card: ModelCard,
    private readonly model: LayersModel,
  ) {
    this.lease = new Lease(() => model.dispose(), `model ${card.version}`);
  }

  logits(input: Float32Array, batch = 1): Promise<Float32Array> {
    return this.hold(() => this.run(input, batch));
  }

  hold<T>(work: () => Promise<T>): Promise<T> {
    return this.lease.hold(work);
  }

  private async run(input: Float32Array, batch: number): Promise<Float32Array> {
    const side = this.card.preprocessing.inputSize;
    const output = tf.tidy(() => this.model.predict(tf.tensor4d(input, [batch, side, side, 3])) as tf.Tensor);
    try {
      return (await output.data()) as Float32Array;
    } finally {
      output.dispose();
    }
  }

  dispose(): void {
    this.lease.end();
  }
}

/** Loads a verified model folder and runs it once so the first real image is not slow. */
export async function loadClassifier(card: ModelCard, files: ReadonlyMap<string, Uint8Array>): Promise<Classifier> {
  const model = await loadLayersModel(tf.io.fromMemory(modelArtifacts(card.modelFile, files)));
  const mismatch = modelShapeMismatch(card, model.inputs[0]?.shape, model.outputs[0]?.shape);
  if (mismatch) {
    model.dispose();
    throw new Error(mismatch);
  }
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
