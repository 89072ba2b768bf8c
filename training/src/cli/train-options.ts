/**
 * The train CLI's flags, shared by `npm run train` and `npm run ablation` (which overrides a few per
 * row). Precedence: built-in defaults < the backbone's defaults < --config JSON < flags on the line.
 */
import type { Command } from "commander";
import { MIX_MODES } from "../augment/index.js";
import { AUGMENT_PRESETS } from "../augment/pixels.js";
import { BACKBONES, resolveBackbone } from "../backbones/index.js";
import { parseBackendName } from "../backend/index.js";
import { DEFAULT_CONFIG, TRAIN_CONFIG_KEYS, type TrainConfig } from "../train/config.js";
import { LOSS_KINDS } from "../train/losses.js";
import { CLASS_WEIGHTINGS } from "../train/weights.js";
import { backendOption, int, num, range, readConfigFile } from "./parse.js";

const hidden = (value: string): number[] => {
  if (value === "linear") return [];
  const m = /^mlp:(\d+(?:-\d+)*)$/.exec(value);
  if (!m) throw new Error(`--head must be "linear" or "mlp:W[-W...]" (e.g. mlp:256), got "${value}"`);
  return (m[1] as string).split("-").map(Number);
};
const oneOf = (name: string, valid: readonly string[]) => (value: string) => {
  if (!valid.includes(value)) throw new Error(`--${name} must be one of ${valid.join(", ")}; got "${value}"`);
  return value;
};

export function addTrainOptions(program: Command, withDataFlags = true): Command {
  if (withDataFlags) {
    program
      .option(
        "--data <dir>",
        "folder-per-class training images (DIR/<class>/<image>; optional manifest.csv with a source column)",
      )
      .option("--val <dir>", "folder-per-class validation images; without it a stratified share of --data is held out")
      .option(
        "--out <dir>",
        "run folder to write (model/, run.json, report.md, curves.svg, confusion.svg, checkpoints/)",
      );
  }
  return program
    .option(
      "--config <file.json>",
      "JSON file with any of these options (camelCase keys, as in run.json's config; an unknown key is refused)",
    )
    .option(
      "--val-fraction <f>",
      `held-out share when --val is absent (default ${DEFAULT_CONFIG.valFraction})`,
      num("val-fraction"),
    )
    .option(
      "--labels <file>",
      "class list, one id per line (default: DIR/labels.txt, else the skin8 order, else sorted)",
    )
    .option(
      "--backbone <names>",
      `backbone: ${Object.keys(BACKBONES).join(" | ")} | a path or URL to a layers model; comma-separate several to concatenate their features (default ${DEFAULT_CONFIG.backbones.join(",")})`,
    )
    .option(
      "--layer <name>",
      "cut the backbone at this layer (global average pooled); default: the registry's layer or the model output",
    )
    .option("--range <min,max>", "input range of a path/URL backbone (default -1,1)", range)
    .option("--input-size <px>", "input side of a path/URL backbone (default 224)", int("input-size"))
    .addOption(backendOption())
    .option(
      "--workers <n>",
      `embedding worker threads, 0 = in process (default ${DEFAULT_CONFIG.workers})`,
      int("workers"),
    )
    .option("--cache-dir <dir>", `feature cache folder (default ${DEFAULT_CONFIG.cacheDir})`)
    .option(
      "--finetune-from <layer>",
      "fine-tune the backbone from this layer onward (cached activations at the cut; try --lr 1e-4) instead of training a head on frozen features",
    )
    .option("--head <kind>", 'head: "linear" or "mlp:W[-W...]" (default linear)', hidden)
    .option(
      "--no-standardize",
      "do not standardise features inside the head (default: standardise with the training mean/variance)",
    )
    .option("--dropout <p>", "dropout after each hidden layer of an MLP head (default 0)", num("dropout"))
    .option("--loss <kind>", `loss: ${LOSS_KINDS.join(" | ")} (default ce)`, oneOf("loss", LOSS_KINDS))
    .option(
      "--weighting <kind>",
      `class weights: ${CLASS_WEIGHTINGS.join(" | ")}; inverse = total/count (default none)`,
      oneOf("weighting", CLASS_WEIGHTINGS),
    )
    .option("--beta <b>", "effective-number β for --weighting effective (default 0.999)", num("beta"))
    .option("--label-smoothing <e>", "label smoothing ε (default 0)", num("label-smoothing"))
    .option("--gamma <g>", "focal loss γ (default 2; 0 equals cross-entropy)", num("gamma"))
    .option("--alpha <a>", "focal loss α scale (default 1)", num("alpha"))
    .option(
      "--tau <t>",
      "logit adjustment τ for --loss logit-adjusted (default 1; balanced-softmax is τ = 1)",
      num("tau"),
    )
    .option(
      "--augment <preset>",
      `augmentation preset for augmented copies: ${Object.keys(AUGMENT_PRESETS).join(" | ")} (default report: flips + rotation)`,
      oneOf("augment", Object.keys(AUGMENT_PRESETS)),
    )
    .option(
      "--augment-copies <n>",
      "augmented copies of the training set, embedded once and cached (default 0)",
      int("augment-copies"),
    )
    .option(
      "--mix <mode>",
      `sample mixing with the λ-mixed loss: ${MIX_MODES.join(" | ")} (default none)`,
      oneOf("mix", MIX_MODES),
    )
    .option("--mix-alpha <a>", "Beta(α, α) for the mixing coefficient λ (default 1)", num("mix-alpha"))
    .option(
      "--mix-space <space>",
      "pixel: mixed images embedded once per copy; feature: in-batch mixup of features (mixup only) (default pixel)",
      oneOf("mix-space", ["pixel", "feature"]),
    )
    .option("--mix-copies <n>", "pixel-mixed copies of the training set (default 1)", int("mix-copies"))
    .option("--epochs <n>", "maximum epochs (default: the backbone's, 60)", int("epochs"))
    .option("--batch-size <n>", "batch size (default: the backbone's, 64)", int("batch-size"))
    .option(
      "--lr <rate>",
      "Adam learning rate, cosine-annealed (default: the backbone's: 1e-3, Tiny Darknet 3e-3)",
      num("lr"),
    )
    .option("--min-lr <rate>", "learning rate at the end of the cosine schedule (default 0)", num("min-lr"))
    .option("--warmup-epochs <n>", "linear warm-up epochs (default 0)", num("warmup-epochs"))
    .option(
      "--patience <n>",
      `early stopping: epochs without a better val macro-F1, 0 = off (default ${DEFAULT_CONFIG.patience})`,
      int("patience"),
    )
    .option(
      "--seed <n>",
      `seed for shuffling, augmentation, mixing and initialisation (default ${DEFAULT_CONFIG.seed})`,
      int("seed"),
    )
    .option("--resume", "continue from OUT/checkpoints/last when it exists");
}

type Flags = Record<string, unknown>;

/** The --config file's fields (none without --config); unknown fields are refused. */
export const trainConfigFile = (flags: Flags): Promise<Partial<TrainConfig>> =>
  typeof flags.config === "string" ? readConfigFile<TrainConfig>(flags.config, TRAIN_CONFIG_KEYS) : Promise.resolve({});

/**
 * Builds a TrainConfig from parsed flags (only those given on the command line override the file);
 * `file`: the --config fields when the caller has read them already.
 */
export async function configFromFlags(
  flags: Flags,
  fromCli: (key: string) => boolean,
  file?: Partial<TrainConfig>,
): Promise<TrainConfig> {
  file ??= await trainConfigFile(flags);
  const cli = (key: string) => (fromCli(key) ? flags[key] : undefined);
  const backbones =
    (cli("backbone") as string | undefined)?.split(",").map((s) => s.trim()) ??
    file.backbones ??
    DEFAULT_CONFIG.backbones;
  const first = backbones[0];
  if (!first) throw new Error("--backbone is empty");
  const backboneDefaults = resolveBackbone(first).defaults;
  const base: TrainConfig = {
    ...DEFAULT_CONFIG,
    epochs: backboneDefaults.epochs,
    batchSize: backboneDefaults.batchSize,
    learningRate: backboneDefaults.learningRate,
    data: "",
    out: "",
    ...file,
    loss: { ...DEFAULT_CONFIG.loss, ...(file.loss ?? {}) },
    head: { ...DEFAULT_CONFIG.head, ...(file.head ?? {}) },
    backbones,
  };
  const pick = <T>(key: string, fallback: T): T => (cli(key) as T | undefined) ?? fallback;
  const config: TrainConfig = {
    ...base,
    data: pick("data", base.data),
    out: pick("out", base.out),
    valFraction: pick("valFraction", base.valFraction),
    backend: parseBackendName(pick("backend", base.backend)),
    workers: pick("workers", base.workers),
    cacheDir: pick("cacheDir", base.cacheDir),
    head: {
      hidden: pick("head", base.head.hidden),
      dropout: pick("dropout", base.head.dropout),
      standardize: pick("standardize", base.head.standardize ?? true),
    },
    loss: {
      kind: pick("loss", base.loss.kind),
      weighting: pick("weighting", base.loss.weighting),
      beta: pick("beta", base.loss.beta),
      labelSmoothing: pick("labelSmoothing", base.loss.labelSmoothing),
      gamma: pick("gamma", base.loss.gamma),
      alpha: pick("alpha", base.loss.alpha),
      tau: pick("tau", base.loss.tau),
    },
    augment: pick("augment", base.augment),
    augmentCopies: pick("augmentCopies", base.augmentCopies),
    mix: pick("mix", base.mix),
    mixAlpha: pick("mixAlpha", base.mixAlpha),
    mixSpace: pick("mixSpace", base.mixSpace),
    mixCopies: pick("mixCopies", base.mixCopies),
    epochs: pick("epochs", base.epochs),
    batchSize: pick("batchSize", base.batchSize),
    learningRate: pick("lr", base.learningRate),
    minLearningRate: pick("minLr", base.minLearningRate),
    warmupEpochs: pick("warmupEpochs", base.warmupEpochs),
    patience: pick("patience", base.patience),
    seed: pick("seed", base.seed),
    resume: pick("resume", base.resume),
  };
  const val = pick<string | undefined>("val", base.val);
  if (val) config.val = val;
  const labels = pick<string | undefined>("labels", base.labels);
  if (labels) config.labels = labels;
  const layer = pick<string | undefined>("layer", base.layer);
  if (layer) config.layer = layer;
  const r = pick<[number, number] | undefined>("range", base.range);
  if (r) config.range = r;
  const finetuneFrom = pick<string | undefined>("finetuneFrom", base.finetuneFrom);
  if (finetuneFrom) config.finetuneFrom = finetuneFrom;
  const inputSize = pick<number | undefined>("inputSize", base.inputSize);
  if (inputSize) config.inputSize = inputSize;
  return config;
}
