/** Everything a student run is made from; stored in the model card as the training config. */
import { join, relative } from "node:path";
import type { FlipVariant, UnsureRule } from "@pifu/core";
import { sharedBackbonesDir } from "../backbones/registry.js";
import type { Quantization } from "../export/quantize.js";
import type { HeadSpec } from "../train/head.js";
import type { LossSpec } from "../train/losses.js";
import type { BatchMix } from "./image-batches.js";

export interface StudentConfig {
  train: string;
  val: string;
  out: string;
  /** Cached activations (see cache-activations.ts). */
  cache: string;
  /** The student's backbone (MobileNetV2-0.35, [-1, 1] input). */
  backbone: string;
  /**
   * Square side photos are fed to the student at (the card's preprocessing.inputSize). The backbone is
   * rebuilt for it; its ImageNet weights were trained at 224, but skin texture gains from more pixels.
   */
  inputSize: number;
  /**
   * Random draws of an augmentation preset (training/src/augment) per train image, cached once, that
   * teachers and head train on beside the 4 flips; views 0 = flips only.
   */
  augmented: { views: number; preset: string };
  /**
   * Registry backbones (data.ts `teacherTap`) whose pooled features the teachers add beside the
   * student's, in order; [] for student-feature teachers only.
   */
  teacherBackbones: string[];
  seed: number;
  subsets: { manyAt: number; fewBelow: number };
  teacher: { head: HeadSpec; epochs: number; learningRate: number; features: "concat" | "student"; perSubset: boolean };
  kd: { alpha: number; temperature: number } | null;
  /**
   * Distil from these soft targets (the .json of a teacher-logits pair, distill/teacher-logits.ts: an
   * ensemble trained elsewhere, such as experiments/torch-gpu) instead of training per-subset
   * teachers; needs `kd`. The ablation rows keep their feature teachers.
   */
  teacherLogits?: string;
  curriculum: { balancedPerClass: number; rampEpochs: number } | null;
  head: HeadSpec;
  loss: LossSpec;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /**
   * Fine-tune the backbone's tail after the cached activation `cut` (its convolutions; batch norms stay
   * frozen) with the head, keeping the epoch with the best val macro-F1 (early stopping after
   * `patience` epochs without improvement); null = frozen. The head learns at `learningRate`, the
   * backbone's layers at `learningRate · backboneLrScale`; `cropSize` > 0 trains on random square crops
   * of the cached maps (0 = whole maps); `augmentedViews` > 0 adds that many cached draws of
   * `augmented.preset` per train image at the cut to the 4 flips (the head's own training is unaffected).
   * `keep: "last"` runs every epoch and keeps the final weights instead (val reports, never chooses),
   * or with `averageLast` > 1 the mean of the weights at the end of that many final epochs.
   * `images: true` trains on a fresh draw of `augmented.preset` per photo and step instead of cached
   * activations: the frozen trunk before the cut runs on every batch (cut "input": the whole network
   * trains), which pays off on a GPU backend.
   */
  finetune: {
    epochs: number;
    learningRate: number;
    cut: string;
    patience: number;
    backboneLrScale: number;
    cropSize: number;
    augmentedViews: number;
    keep: "best" | "last";
    /** With `keep: "last"`: average the weights at the end of this many final epochs (1 = the last epoch's). */
    averageLast: number;
    images: boolean;
    /** Fine-tuning batch size (the whole network at 224 px needs under 32 on wasm's 4 GB heap). */
    batchSize: number;
    /** mixup or CutMix of the fresh draws within each batch (with `images` only). */
    mix: BatchMix;
  } | null;
  quantization: Quantization;
  /**
   * Flip views the exported card asks runners to average logits over (core test-time augmentation);
   * calibration, the unsure rule and every val number use the same views. ["id"]: one plain pass.
   */
  testTimeFlips: FlipVariant[];
  unsure: { score: UnsureRule["score"] | "auto"; coverage: number };
  name: string;
  version: string;
  /** Also train the ablation rows (KD vs none, teacher choices, curriculum vs none). */
  ablation: boolean;
  /** Fold the batch norms into the convolutions of the exported model (faster on the phone). */
  foldBatchNorm: boolean;
}

/**
 * The teacher backbones whose features the run's teachers see: none when they read the student's
 * alone, or when soft targets come from a file and no ablation row trains feature teachers (so
 * they are neither cached nor loaded).
 */
export const teacherFeatureBackbones = (
  config: Pick<StudentConfig, "teacher" | "teacherBackbones" | "teacherLogits" | "ablation">,
): string[] =>
  config.teacher.features === "concat" && (config.teacherLogits === undefined || config.ablation)
    ? config.teacherBackbones
    : [];

/** Fine-tuning settings a run uses when it turns fine-tuning on (`--finetune-epochs N`) without a configured one. */
export const FINETUNE_DEFAULTS: NonNullable<StudentConfig["finetune"]> = {
  epochs: 16,
  learningRate: 1e-4,
  cut: "block_15_add",
  patience: 4,
  backboneLrScale: 1,
  cropSize: 0,
  augmentedViews: 0,
  keep: "best",
  averageLast: 1,
  images: false,
  batchSize: 32,
  mix: { mode: "none", alpha: 1, probability: 0.5 },
};

/**
 * The ImageNet MobileNetV2-0.35 in the shared folder beside the checkout (PIFU_BACKBONES or
 * PIFU_SHARED move it), relative to the working folder as run configs and cards record paths:
 * "../shared/backbones/mobilenet_v2_0.35_224" from the repository root, and right from anywhere else.
 */
const STUDENT_BACKBONE = relative(process.cwd(), join(sharedBackbonesDir(), "mobilenet_v2_0.35_224"));

export const DEFAULT_STUDENT_CONFIG: Omit<StudentConfig, "train" | "val" | "out"> = {
  cache: ".cache/student",
  backbone: STUDENT_BACKBONE,
  inputSize: 224,
  augmented: { views: 0, preset: "mild" },
  teacherBackbones: ["darknet_tiny"],
  seed: 42,
  subsets: { manyAt: 400, fewBelow: 100 },
  teacher: {
    head: { hidden: [256], dropout: 0.3 },
    epochs: 30,
    learningRate: 1e-3,
    features: "concat",
    perSubset: true,
  },
  kd: { alpha: 1, temperature: 4 },
  curriculum: { balancedPerClass: 21, rampEpochs: 10 },
  // 192 beat 128 on 7 of 7 paired seeds (docs/results/student.md) and keeps the float16 folder at
  // ~1.33 MB, under the 1.5 MB budget (the backbone alone is ~0.8 MB).
  head: { hidden: [192], dropout: 0.3 },
  loss: { kind: "ce", weighting: "inverse", beta: 0.999, labelSmoothing: 0, gamma: 2, alpha: 1, tau: 1 },
  epochs: 30,
  batchSize: 64,
  learningRate: 1e-3,
  // Blocks 10–16 + Conv_1 fine-tuned on a fresh "mild" draw of every photo at every step, last epoch
  // kept: over seeds 42 / 1 / 2 it beat the frozen backbone on val (docs/results/student.md, attempt 7).
  finetune: { ...FINETUNE_DEFAULTS, cut: "block_9_add", keep: "last", images: true },
  quantization: "float16",
  testTimeFlips: ["id", "h", "v", "hv"],
  // Energy: the rule's first job is flagging photos of conditions the model was never taught. On the
  // leave-one-class-out proxy (docs/results/ood-proxy.md) it beats max probability on 7 of 8 folds
  // (mean AUROC 0.699 vs 0.641); "auto" instead picks the best separator of the model's own val errors.
  unsure: { score: "energy", coverage: 0.85 },
  name: "pifu-skin8-student",
  version: "1.3.0",
  ablation: true,
  foldBatchNorm: true,
};
