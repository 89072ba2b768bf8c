/** A training run's full configuration: what the CLI flags or --config JSON describe. */
import type { MixMode } from "../augment/index.js";
import type { BackendName } from "../backend/index.js";
import type { HeadSpec } from "./head.js";
import { DEFAULT_LOSS, type LossSpec } from "./losses.js";

export interface TrainConfig {
  /** Folder-per-class training images. */
  data: string;
  /** Folder-per-class validation images; when absent, a stratified share of `data` is held out. */
  val?: string;
  valFraction: number;
  /** Class list file (one id per line). */
  labels?: string;
  /** Registry names, paths or URLs; several are embedded separately and concatenated. */
  backbones: string[];
  /** Cut layer override (single backbone only). */
  layer?: string;
  /** Input range override for a path/URL backbone. */
  range?: [number, number];
  /** Input size override for a path/URL backbone. */
  inputSize?: number;
  backend: BackendName;
  workers: number;
  cacheDir: string;
  head: HeadSpec;
  /**
   * Fine-tune from this layer onward instead of training a head on frozen features: the trunk's
   * activations at the layer are cached, and the tail after it plus a new classifier are trained.
   */
  finetuneFrom?: string;
  loss: LossSpec;
  /** Augmentation preset for precomputed augmented copies (frozen mode). */
  augment: string;
  /** Augmented copies of the training set embedded in addition to the plain one. */
  augmentCopies: number;
  mix: MixMode;
  mixAlpha: number;
  /** pixel: precomputed pixel-mixed copies (λ-mixed loss); feature: in-batch mixup of features (mixup only). */
  mixSpace: "pixel" | "feature";
  mixCopies: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  minLearningRate: number;
  warmupEpochs: number;
  patience: number;
  seed: number;
  out: string;
  resume: boolean;
}

/** Every TrainConfig field, for refusing unknown ones in a --config file (the Record keeps it complete). */
const TRAIN_CONFIG_FIELDS: Record<keyof TrainConfig, true> = {
  data: true,
  val: true,
  valFraction: true,
  labels: true,
  backbones: true,
  layer: true,
  range: true,
  inputSize: true,
  backend: true,
  workers: true,
  cacheDir: true,
  head: true,
  finetuneFrom: true,
  loss: true,
  augment: true,
  augmentCopies: true,
  mix: true,
  mixAlpha: true,
  mixSpace: true,
  mixCopies: true,
  epochs: true,
  batchSize: true,
  learningRate: true,
  minLearningRate: true,
  warmupEpochs: true,
  patience: true,
  seed: true,
  out: true,
  resume: true,
};
export const TRAIN_CONFIG_KEYS = Object.keys(TRAIN_CONFIG_FIELDS) as (keyof TrainConfig)[];

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Rejects combinations that cannot mean anything, before any work starts. */
export function validateConfig(config: TrainConfig): void {
  if (!config.data) throw new ConfigError("data (--data) is required");
  if (!config.out) throw new ConfigError("out (--out) is required");
  if (config.mix === "cutmix" && config.mixSpace === "feature") {
    throw new ConfigError(
      "--mix cutmix needs --mix-space pixel: cutting and pasting pooled features has no spatial meaning",
    );
  }
  if (config.finetuneFrom && config.backbones.length !== 1)
    throw new ConfigError("--finetune-from needs exactly one backbone");
  if (!(config.batchSize >= 1)) throw new ConfigError("--batch-size must be at least 1");
  if (!(config.epochs >= 1)) throw new ConfigError("--epochs must be at least 1");
  if (!(config.learningRate > 0)) throw new ConfigError("--lr must be positive");
  if (!(config.head.dropout >= 0 && config.head.dropout < 1)) throw new ConfigError("--dropout must be in [0, 1)");
  if (!(config.valFraction > 0 && config.valFraction < 1)) throw new ConfigError("--val-fraction must be in (0, 1)");
}

export const DEFAULT_CONFIG: Omit<TrainConfig, "data" | "out"> = {
  valFraction: 0.15,
  backbones: ["mobilenet_v2_0.35"],
  backend: "auto",
  workers: 2,
  cacheDir: ".cache/features",
  head: { hidden: [], dropout: 0, standardize: true },
  loss: DEFAULT_LOSS,
  augment: "report",
  augmentCopies: 0,
  mix: "none",
  mixAlpha: 1,
  mixSpace: "pixel",
  mixCopies: 1,
  epochs: 60,
  batchSize: 64,
  learningRate: 1e-3,
  minLearningRate: 0,
  warmupEpochs: 0,
  patience: 20,
  seed: 42,
  resume: false,
};
