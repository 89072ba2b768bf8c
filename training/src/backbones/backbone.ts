import type * as tfl from "@tensorflow/tfjs-layers";
import { tf } from "../backend/index.js";
import { cutAt } from "./cut.js";
import { loadLayersModelFrom } from "./load.js";
import type { BackboneSpec } from "./registry.js";

export interface Backbone {
  spec: BackboneSpec;
  /** sha256 of model.json + weights, recorded in runs and model cards. */
  sha256: string;
  /** Resolved location (absolute path or URL). */
  source: string;
  /** The whole loaded model (fine-tuning cuts its own tail from it). */
  full: tfl.LayersModel;
  /** Input [N, s, s, 3] in spec.preprocess's range → features [N, featureDim]. */
  extractor: tfl.LayersModel;
  /** Values per image the extractor yields (C, or H·W·C when not pooled). */
  featureDim: number;
  /** Per-image output shape of the extractor. */
  featureShape: number[];
}

export async function loadBackbone(spec: BackboneSpec): Promise<Backbone> {
  const { model, sha256, source } = await loadLayersModelFrom(spec.location);
  const extractor = cutAt(model, spec.layer, spec.pool !== "none");
  const featureShape = (extractor.outputs[0]?.shape.slice(1) ?? []) as number[];
  const featureDim = featureShape.reduce((a, b) => a * b, 1);
  return { spec, sha256, source, full: model, extractor, featureDim, featureShape };
}

/** Features for a batch of preprocessed images (HWC float32, concatenated). */
export function embedBatch(backbone: Backbone, pixels: Float32Array, count: number): Float32Array {
  const s = backbone.spec.preprocess.inputSize;
  return tf.tidy(() => {
    const input = tf.tensor4d(pixels, [count, s, s, 3]);
    const out = backbone.extractor.predict(input) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
}
