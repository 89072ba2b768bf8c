/** The student CLI's fine-tuning flags, merged over the configured fine-tuning. */
import type { MixMode } from "../augment/index.js";
import { FINETUNE_DEFAULTS, type StudentConfig } from "../student/config.js";

export interface FineTuneFlags {
  finetuneEpochs?: number;
  finetuneLr?: number;
  finetuneCut?: string;
  finetunePatience?: number;
  finetuneBackboneLrScale?: number;
  finetuneCrop?: number;
  finetuneAugmentedViews?: number;
  finetuneKeep?: "best" | "last";
  finetuneAverageLast?: number;
  finetuneImages?: boolean;
  finetuneBatch?: number;
  finetuneMix?: MixMode;
  finetuneMixAlpha?: number;
  finetuneMixProbability?: number;
}

/**
 * The run's fine-tuning: the configured one (or FINETUNE_DEFAULTS when `--finetune-epochs N` turns it
 * on) with every given flag applied; `--finetune-epochs 0` turns it off.
 */
export function fineTuneConfig(f: FineTuneFlags, configured: StudentConfig["finetune"]): StudentConfig["finetune"] {
  if (f.finetuneEpochs === 0 || (f.finetuneEpochs === undefined && !configured)) return null;
  const base = configured ?? FINETUNE_DEFAULTS;
  return {
    epochs: f.finetuneEpochs ?? base.epochs,
    learningRate: f.finetuneLr ?? base.learningRate,
    cut: f.finetuneCut ?? base.cut,
    patience: f.finetunePatience ?? base.patience,
    backboneLrScale: f.finetuneBackboneLrScale ?? base.backboneLrScale,
    cropSize: f.finetuneCrop ?? base.cropSize,
    augmentedViews: f.finetuneAugmentedViews ?? base.augmentedViews,
    keep: f.finetuneKeep ?? base.keep,
    averageLast: f.finetuneAverageLast ?? base.averageLast,
    images: f.finetuneImages ?? base.images,
    batchSize: f.finetuneBatch ?? base.batchSize,
    mix: {
      mode: f.finetuneMix ?? base.mix.mode,
      alpha: f.finetuneMixAlpha ?? base.mix.alpha,
      probability: f.finetuneMixProbability ?? base.mix.probability,
    },
  };
}
