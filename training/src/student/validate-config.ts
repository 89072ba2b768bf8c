/**
 * Refuses a student configuration that cannot run, before anything expensive: each setting is named
 * by the flag that sets it ("--config FIELD" for those only a --config file sets), whether it came
 * from the flag or the file.
 */
import { SEMVER_PATTERN, TestTimeAugmentationSchema } from "@pifu/core";
import { z } from "zod";
import { AUGMENT_PRESETS, MIX_MODES } from "../augment/index.js";
import { UNSURE_SCORES } from "../calibrate/unsure.js";
import { QUANTIZATIONS } from "../export/quantize.js";
import { ConfigError } from "../train/config.js";
import { LOSS_KINDS } from "../train/losses.js";
import { CLASS_WEIGHTINGS } from "../train/weights.js";
import type { StudentConfig } from "./config.js";
import { checkFineTune } from "./finetune-inputs.js";

/** zod's error option: "FLAG must be WHAT, got VALUE". */
const must = (flag: string, what: string) => ({
  error: (issue: { input?: unknown }) =>
    `${flag} must be ${what}, got ${issue.input === undefined ? "nothing" : JSON.stringify(issue.input)}`,
});

const whole = (flag: string, min: number) => {
  const error = must(flag, `a whole number of at least ${min}`);
  return z.number(error).int(error).min(min, error);
};
const above = (flag: string, min: number) => {
  const error = must(flag, `above ${min}`);
  return z.number(error).gt(min, error);
};
const atLeast = (flag: string, min: number) => {
  const error = must(flag, `at least ${min}`);
  return z.number(error).min(min, error);
};
/** A share in [0, 1). */
const fraction = (flag: string) => {
  const error = must(flag, "in [0, 1)");
  return z.number(error).min(0, error).lt(1, error);
};
/** A share in (0, 1]. */
const share = (flag: string) => {
  const error = must(flag, "a share in (0, 1]");
  return z.number(error).gt(0, error).max(1, error);
};
const semver = (flag: string) => {
  const error = must(flag, "a semantic version such as 1.3.0");
  return z.string(error).regex(SEMVER_PATTERN, error);
};
const number = (flag: string) => z.number(must(flag, "a number"));
const text = (flag: string) => {
  const error = must(flag, "a non-empty string");
  return z.string(error).min(1, error);
};
const oneOf = (flag: string, values: readonly string[]) =>
  z.enum(values as [string, ...string[]], must(flag, `one of ${values.join(", ")}`));
const flag = (flagName: string) => z.boolean(must(flagName, "true or false"));
const widths = (flagName: string) => z.array(whole(flagName, 1), must(flagName, "a list of layer widths"));
const head = (hidden: string, dropout: string) => z.object({ hidden: widths(hidden), dropout: fraction(dropout) });

const StudentConfigSchema = z.object({
  train: text("--data"),
  val: text("--val"),
  out: z.string(must("--out", "a folder")),
  cache: text("--cache"),
  backbone: text("--backbone"),
  inputSize: whole("--input-size", 32),
  augmented: z.object({
    views: whole("--augmented-views", 0),
    preset: oneOf("--augment-preset", Object.keys(AUGMENT_PRESETS)),
  }),
  teacherBackbones: z.array(text("--teacher-backbone"), must("--teacher-backbone", "a list of backbone names")),
  seed: whole("--seed", 0),
  subsets: z.object({ manyAt: whole("--many-at", 1), fewBelow: whole("--few-below", 0) }),
  teacher: z.object({
    head: head("--teacher-hidden", "--config teacher.head.dropout"),
    epochs: whole("--teacher-epochs", 1),
    learningRate: above("--config teacher.learningRate", 0),
    features: oneOf("--teacher-features", ["concat", "student"]),
    perSubset: flag("--single-teacher"),
  }),
  kd: z.object({ alpha: atLeast("--kd-alpha", 0), temperature: above("--kd-temperature", 0) }).nullable(),
  teacherLogits: text("--teacher-logits").optional(),
  curriculum: z
    .object({ balancedPerClass: whole("--curriculum-balanced", 1), rampEpochs: whole("--curriculum-ramp", 1) })
    .nullable(),
  head: head("--hidden", "--dropout"),
  loss: z.object({
    kind: oneOf("--loss", LOSS_KINDS),
    weighting: oneOf("--weighting", CLASS_WEIGHTINGS),
    beta: fraction("--config loss.beta"),
    labelSmoothing: fraction("--config loss.labelSmoothing"),
    gamma: atLeast("--config loss.gamma", 0),
    alpha: above("--config loss.alpha", 0),
    tau: number("--config loss.tau"),
  }),
  epochs: whole("--epochs", 1),
  batchSize: whole("--config batchSize", 1),
  learningRate: above("--lr", 0),
  // mix.alpha, mix.probability and averageLast are checkFineTune's, beside the settings they depend on.
  finetune: z
    .object({
      epochs: whole("--finetune-epochs", 1),
      learningRate: above("--finetune-lr", 0),
      cut: text("--finetune-cut"),
      patience: whole("--finetune-patience", 1),
      backboneLrScale: atLeast("--finetune-backbone-lr-scale", 0),
      cropSize: whole("--finetune-crop", 0),
      augmentedViews: whole("--finetune-augmented-views", 0),
      keep: oneOf("--finetune-keep", ["best", "last"]),
      averageLast: number("--finetune-average-last"),
      images: flag("--finetune-images"),
      batchSize: whole("--finetune-batch", 1),
      mix: z.object({
        mode: oneOf("--finetune-mix", MIX_MODES),
        alpha: number("--finetune-mix-alpha"),
        probability: number("--finetune-mix-probability"),
      }),
    })
    .nullable(),
  quantization: oneOf("--quantization", QUANTIZATIONS),
  testTimeFlips: z.custom(
    (value) => TestTimeAugmentationSchema.shape.flips.safeParse(value).success,
    must("--tta-flips", "distinct flips out of id, h, v, hv"),
  ),
  unsure: z.object({
    score: oneOf("--unsure-score", ["auto", ...UNSURE_SCORES]),
    coverage: share("--coverage"),
  }),
  name: text("--config name"),
  version: semver("--model-version"),
  ablation: flag("--no-ablation"),
  foldBatchNorm: flag("--no-fold-batchnorm"),
});

/** Throws a ConfigError naming the first setting that is out of range, or a pair that cannot go together. */
export function validateStudentConfig(config: StudentConfig): void {
  const parsed = StudentConfigSchema.safeParse(config);
  if (!parsed.success) throw new ConfigError(parsed.error.issues[0]?.message ?? "invalid student configuration");
  const { manyAt, fewBelow } = config.subsets;
  if (manyAt <= fewBelow) throw new ConfigError(`--many-at (${manyAt}) must be above --few-below (${fewBelow})`);
  if (config.teacherLogits !== undefined && config.kd === null)
    throw new ConfigError("--teacher-logits gives soft targets to distil from; it cannot go with --no-kd");
  checkFineTune(config.finetune);
}
