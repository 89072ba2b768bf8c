import type * as tfl from "@tensorflow/tfjs-layers";
import { tf } from "../backend/index.js";
import { cutAt } from "./cut.js";
import { type FoldSummary, foldIfSupported } from "./fold-batchnorm.js";
import { compileFusedInference } from "./fused-inference.js";
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
  /** What folding removed from the extractor; undefined when the graph could not be folded. */
  folded?: FoldSummary;
  /** The extractor run with fused conv + bias + activation kernels (same output as its predict). */
  infer?: (input: tf.Tensor) => tf.Tensor;
}

/**
 * The inference-only extractor: BatchNormalization folded into the convs (about 3× faster on wasm),
 * or the plain cut when the graph is one folding does not handle. Features differ from the unfolded
 * model only by float rounding; the feature-cache key marks them (FOLD_VERSION).
 */
async function extractorFor(
  model: tfl.LayersModel,
  spec: BackboneSpec,
): Promise<{ extractor: tfl.LayersModel; folded?: FoldSummary }> {
  const pool = spec.pool !== "none";
  const fold = await foldIfSupported(model, spec.layer ? { output: spec.layer } : {});
  // A folded model already ends at spec.layer; an unfolded one is cut there.
  if ("summary" in fold) return { extractor: cutAt(fold.model, undefined, pool, spec.layer), folded: fold.summary };
  return { extractor: cutAt(model, spec.layer, pool) };
}

/** Loads spec.location rebuilt for spec.preprocess.inputSize (square), then cuts its extractor. */
export async function loadBackbone(spec: BackboneSpec): Promise<Backbone> {
  const { model, sha256, source } = await loadLayersModelFrom(spec.location, spec.preprocess.inputSize);
  const { extractor, folded } = await extractorFor(model, spec);
  const featureShape = (extractor.outputs[0]?.shape.slice(1) ?? []) as number[];
  const featureDim = featureShape.reduce((a, b) => a * b, 1);
  const infer = folded ? compileFusedInference(extractor) : undefined;
  return {
    spec,
    sha256,
    source,
    full: model,
    extractor,
    featureDim,
    featureShape,
    ...(folded ? { folded } : {}),
    ...(infer ? { infer } : {}),
  };
}

/** Features for a batch of preprocessed images (HWC float32, concatenated). */
export function embedBatch(backbone: Backbone, pixels: Float32Array, count: number): Float32Array {
  const s = backbone.spec.preprocess.inputSize;
  return tf.tidy(() => {
    const input = tf.tensor4d(pixels, [count, s, s, 3]);
    const out = backbone.infer ? backbone.infer(input) : (backbone.extractor.predict(input) as tf.Tensor);
    return out.dataSync() as Float32Array;
  });
}
