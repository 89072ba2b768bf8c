/** What a fine-tuned tail trains and is scored on: cached activations at the cut, or fresh draws. */
import { DEFAULT_PREPROCESS } from "@pifu/core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { AUGMENT_PRESETS } from "../augment/index.js";
import { type BatchSource, cachedBatches } from "../distill/batches.js";
import type { ViewName } from "./cache-store.js";
import type { StudentConfig } from "./config.js";
import { loadStudentLayer } from "./data.js";
import {
  augmentedImageBatches,
  type BatchMix,
  decodeAll,
  flipActivations,
  frozenTrunk,
  INPUT_CUT,
  TRAIN_PHOTO_SCALE,
} from "./image-batches.js";

export interface FineTuneInputs {
  source: BatchSource;
  /** The activation shape at the cut. */
  shape: number[];
  /** Val activations at the cut per test-time flip. */
  valInputs: Map<ViewName, Float32Array>;
  /** For the log line. */
  description: string;
}

export async function fineTuneInputs(
  config: StudentConfig,
  finetune: NonNullable<StudentConfig["finetune"]>,
  network: tfl.LayersModel,
  /** The photos behind the cached splits, in cache order (rows follow it). */
  photos: { train: readonly string[]; val: readonly string[] },
): Promise<FineTuneInputs> {
  const { cut } = finetune;
  if (!finetune.images) {
    const cutTrain = await loadStudentLayer(config.cache, "train", cut, config.inputSize, {
      views: finetune.augmentedViews,
      preset: config.augmented.preset,
    });
    const cutVal = await loadStudentLayer(config.cache, "val", cut, config.inputSize);
    return {
      source: cachedBatches(cutTrain.variants, cutTrain.shape),
      shape: cutTrain.shape,
      valInputs: cutVal.variants,
      description: `cached ${cut} activations`,
    };
  }
  const augment = AUGMENT_PRESETS[config.augmented.preset];
  if (!augment) throw new Error(`unknown augmentation preset "${config.augmented.preset}"`);
  const spec = { ...DEFAULT_PREPROCESS, inputSize: config.inputSize };
  const trunk = await frozenTrunk(network, cut, config.inputSize);
  const images = await decodeAll(photos.train, { maxShortSide: Math.round(config.inputSize * TRAIN_PHOTO_SCALE) });
  return {
    source: augmentedImageBatches({ images, augment, spec, trunk, mix: finetune.mix }),
    shape: trunk.shape,
    valInputs: await flipActivations(photos.val, spec, trunk, config.testTimeFlips),
    description: `a fresh "${config.augmented.preset}" draw per photo and step${mixNote(finetune.mix)}, through the frozen trunk to ${cut}`,
  };
}

function mixNote(mix: BatchMix): string {
  return mix.mode === "none" ? "" : ` (${mix.mode}, α ${mix.alpha}, on ${Math.round(mix.probability * 100)}% of rows)`;
}

/** Refuses fine-tuning settings that cannot work together, before any training starts. */
export function checkFineTune(finetune: StudentConfig["finetune"]): void {
  if (!finetune) return;
  if (finetune.cut === INPUT_CUT && !finetune.images)
    throw new Error(
      `the "${INPUT_CUT}" cut trains the whole backbone and needs --finetune-images (nothing is cached there)`,
    );
  if (finetune.images && finetune.augmentedViews > 0)
    throw new Error(
      "--finetune-augmented-views adds cached draws; with --finetune-images every step draws fresh ones, so leave it out",
    );
  if (finetune.mix.mode !== "none" && !finetune.images)
    throw new Error("--finetune-mix mixes photos, so it needs --finetune-images (cached activations are not mixed)");
  if (!Number.isInteger(finetune.averageLast) || finetune.averageLast < 1 || finetune.averageLast > finetune.epochs)
    throw new RangeError(
      `--finetune-average-last must be a whole number from 1 to --finetune-epochs (${finetune.epochs}), not ${finetune.averageLast}`,
    );
  if (finetune.averageLast > 1 && finetune.keep !== "last")
    throw new Error("--finetune-average-last averages the final epochs, so it needs --finetune-keep last");
  if (!(finetune.mix.probability >= 0 && finetune.mix.probability <= 1) || !(finetune.mix.alpha > 0))
    throw new RangeError("--finetune-mix-probability must lie in [0, 1] and --finetune-mix-alpha be above 0");
}
