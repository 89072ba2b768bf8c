/**
 * Fine-tuning on fresh augmentation: every step draws a new augmentation of each photo (crop, flips,
 * rotation, colour; applied before core `preprocess`, so the model still sees the phone's
 * preprocessing), runs it through the frozen trunk before the cut and hands the activations to the
 * trainable tail. Val is the same trunk on each plain photo in every test-time flip, computed once.
 */
import type { FlipVariant, PreprocessSpec, RawImage } from "@pifu/core";
import { preprocess } from "@pifu/core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { type AugmentSpec, augmentImage, type MixSpec, mixPixels } from "../augment/index.js";
import { inferenceTap } from "../backbones/inference-tap.js";
import { tf } from "../backend/index.js";
import { concatFloat32, type DecodeOptions } from "../data/index.js";
import type { Rng } from "../data/rng.js";
import type { BatchSource, TrainBatch } from "../distill/batches.js";
import { DecodeAhead } from "../features/decode-ahead.js";
import { splitModel } from "../finetune/split.js";
import type { ViewName } from "./cache-store.js";
import { flipBatch } from "./flips.js";

/** The cut that trains the whole network: the trunk is the identity and the tail is every layer. */
export const INPUT_CUT = "input";

/**
 * Train photos are kept in memory with their shorter side at this multiple of the input size: small
 * enough for all of skin8 train (~1.4 GB at 224 px), large enough that a crop of half the area is
 * still resampled down, as the phone's full-size photos are.
 */
export const TRAIN_PHOTO_SCALE = 1.5;

/**
 * A fresh draw's view name. Its teacher targets fall back to the unflipped photo's (the teachers ran
 * on cached features, which a fresh draw has none of).
 */
const FRESH_VIEW: ViewName = "aug0";

export const NO_MIX: BatchMix = { mode: "none", alpha: 1, probability: 0 };

/** The frozen part of the network before the cut, for inference only. */
export interface Trunk {
  predict(pixels: tf.Tensor4D): tf.Tensor;
  /** The activation shape at the cut, without the batch axis. */
  shape: number[];
}

export async function frozenTrunk(network: tfl.LayersModel, cut: string, inputSize: number): Promise<Trunk> {
  if (cut === INPUT_CUT) return { predict: (pixels) => pixels.clone(), shape: [inputSize, inputSize, 3] };
  const tap = await inferenceTap(network, [cut]);
  return { predict: (pixels) => tap.predict(pixels)[0] as tf.Tensor, shape: tap.shapes[0] as number[] };
}

/** The layers that train after the cut: the whole network at the input cut (`frozenTrunk` is the part before it). */
export function trainableTail(network: tfl.LayersModel, cut: string): tfl.LayersModel {
  return cut === INPUT_CUT ? network : splitModel(network, cut).tail;
}

/** Decodes every photo, `depth` at a time; a photo that fails to decode throws DecodeError naming it. */
export async function decodeAll(paths: readonly string[], options: DecodeOptions = {}, depth = 4): Promise<RawImage[]> {
  const ahead = new DecodeAhead(depth, options);
  return Promise.all(paths.map((path) => ahead.with(path, (image) => image)));
}

function pixelBatch(images: readonly RawImage[], spec: PreprocessSpec): tf.Tensor4D {
  return pixelTensor(
    images.map((image) => preprocess(image, spec)),
    spec.inputSize,
  );
}

/** Preprocessed images (HWC, `size` px) as one input batch. */
export function pixelTensor(rows: readonly Float32Array[], size: number): tf.Tensor4D {
  return tf.tensor4d(concatFloat32(rows), [rows.length, size, size, 3]);
}

/** mixup or CutMix of fresh draws within a batch: each row is mixed with `probability`. */
export interface BatchMix extends MixSpec {
  probability: number;
}

/**
 * Mixes each row, with `mix.probability`, with another row of the batch (its unmixed draw) drawn
 * uniformly; returns the rows and, when any row was mixed, each row's partner position and λ.
 */
export function mixRows(
  rows: readonly Float32Array[],
  size: number,
  mix: BatchMix,
  rng: Rng,
): { rows: Float32Array[]; mix?: NonNullable<TrainBatch["mix"]> } {
  const n = rows.length;
  if (mix.mode === "none" || mix.probability <= 0 || n < 2) return { rows: [...rows] };
  const partner = Int32Array.from({ length: n }, (_, j) => j);
  const lambda = new Float32Array(n).fill(1);
  const mixed = rows.map((row, j) => {
    if (!rng.bool(mix.probability)) return row;
    const other = (j + 1 + rng.int(n - 1)) % n;
    const drawn = mixPixels(row, rows[other] as Float32Array, size, mix, rng);
    partner[j] = other;
    lambda[j] = drawn.lambda;
    return drawn.pixels;
  });
  return { rows: mixed, mix: { partner, lambda } };
}

/**
 * Each batch: a fresh draw of `augment` per photo, preprocessed, optionally mixed within the batch
 * (`mix`), through the frozen trunk.
 */
export function augmentedImageBatches(options: {
  images: readonly RawImage[];
  augment: AugmentSpec;
  spec: PreprocessSpec;
  trunk: Trunk;
  mix?: BatchMix;
}): BatchSource {
  const { images, augment, spec, trunk } = options;
  const mix = options.mix ?? NO_MIX;
  return {
    batch(indices, rng) {
      const drawn = indices.map((i) => preprocess(augmentImage(images[i] as RawImage, augment, rng), spec));
      const mixed = mixRows(drawn, spec.inputSize, mix, rng);
      const pixels = pixelTensor(mixed.rows, spec.inputSize);
      const x = tf.tidy(() => trunk.predict(pixels));
      pixels.dispose();
      return { x, views: indices.map(() => FRESH_VIEW), ...(mixed.mix ? { mix: mixed.mix } : {}) };
    },
  };
}

/** The trunk's activations for each photo (decoded at full size) in each flip, rows in `paths` order. */
export async function flipActivations(
  paths: readonly string[],
  spec: PreprocessSpec,
  trunk: Trunk,
  flips: readonly FlipVariant[],
  batchSize = 16,
): Promise<Map<ViewName, Float32Array>> {
  const rowSize = trunk.shape.reduce((a, b) => a * b, 1);
  const out = new Map<ViewName, Float32Array>(flips.map((flip) => [flip, new Float32Array(paths.length * rowSize)]));
  for (let start = 0; start < paths.length; start += batchSize) {
    const pixels = pixelBatch(await decodeAll(paths.slice(start, start + batchSize)), spec);
    for (const flip of flips) {
      const rows = tf.tidy(() => trunk.predict(flipBatch(pixels, flip)));
      (out.get(flip) as Float32Array).set(await rows.data(), start * rowSize);
      rows.dispose();
    }
    pixels.dispose();
  }
  return out;
}
