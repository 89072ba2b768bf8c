/**
 * npm run student -- --data TRAIN --val VAL --out DIR [options]
 * Teachers per class subset → distilled, calibrated, quantized student + model card.
 */
import { existsSync } from "node:fs";
import type { FlipVariant } from "@pifu/core";
import { runMain } from "@pifu/core/cli";
import { Command, Option } from "commander";
import { AUGMENT_PRESETS, MIX_MODES } from "../augment/index.js";
import { type BackendName, initBackend } from "../backend/index.js";
import { checkTrainCoverage, readTeacherLogits } from "../distill/teacher-logits.js";
import { QUANTIZATIONS, type Quantization } from "../export/quantize.js";
import {
  DEFAULT_STUDENT_CONFIG,
  FINETUNE_DEFAULTS,
  type StudentConfig,
  teacherFeatureBackbones,
} from "../student/config.js";
import { checkRunFolders, ensureCache } from "../student/ensure-cache.js";
import { claimOutFolder } from "../student/out-folder.js";
import { runStudent, type StudentSummary } from "../student/pipeline.js";
import { validateStudentConfig } from "../student/validate-config.js";
import { LOSS_KINDS, type LossKind } from "../train/losses.js";
import { CLASS_WEIGHTINGS, type ClassWeighting } from "../train/weights.js";
import { type FineTuneFlags, fineTuneConfig } from "./finetune-flags.js";
import {
  backendOption,
  inputSizeOption,
  int,
  num,
  readConfigFile,
  teacherBackboneOption,
  ttaFlipsOption,
  unsureScoreOption,
} from "./parse.js";

const widths = (value: string) => (value === "" || value === "none" ? [] : value.split(",").map(num("hidden")));
const d = DEFAULT_STUDENT_CONFIG;
const ft = d.finetune ?? FINETUNE_DEFAULTS;

const program = new Command()
  .name("student")
  .description(
    "Train per-subset teachers, distil a MobileNetV2-0.35 student (frozen backbone + head, optionally its tail fine-tuned on cached activations or fresh augmentation), calibrate it on val, export it quantized with a model card, and evaluate the exported folder.",
  )
  .requiredOption("--data <dir>", "training images, one folder per class")
  .requiredOption("--val <dir>", "validation images (calibration, unsure threshold, selection)")
  .requiredOption(
    "--out <dir>",
    "output folder, new or empty (written as DIR.partial, renamed to DIR once complete): model/ (the model folder), quantization/, summary.json",
  )
  .option("--overwrite", "replace the finished run at --out, once the new one is complete")
  .option("--config <file>", "JSON file with any StudentConfig fields; flags override it")
  .option("--cache <dir>", `activation cache (default ${d.cache})`)
  .option("--backbone <path>", `student backbone (default ${d.backbone})`)
  .addOption(inputSizeOption(d.inputSize))
  .option(
    "--augmented-views <n>",
    `random draws of --augment-preset per train image (cached once) that teachers and head also train on (default ${d.augmented.views})`,
    int("augmented-views"),
  )
  .addOption(
    new Option("--augment-preset <name>", `preset of those draws (default ${d.augmented.preset})`).choices(
      Object.keys(AUGMENT_PRESETS),
    ),
  )
  .addOption(ttaFlipsOption(d.testTimeFlips))
  .addOption(teacherBackboneOption(d.teacherBackbones))
  .option("--seed <n>", `seed (default ${d.seed})`, num("seed"))
  .option(
    "--many-at <n>",
    `classes with at least this many training images form the "many" subset (default ${d.subsets.manyAt})`,
    num("many-at"),
  )
  .option(
    "--few-below <n>",
    `classes with fewer form the "few" subset (default ${d.subsets.fewBelow})`,
    num("few-below"),
  )
  .addOption(
    new Option(
      "--teacher-features <kind>",
      "teacher inputs: concat (the student's and the teacher backbones' features) or student",
    ).choices(["concat", "student"]),
  )
  .option(
    "--teacher-hidden <widths>",
    `teacher MLP widths, "none" for linear (default ${d.teacher.head.hidden.join(",")})`,
    widths,
  )
  .option("--teacher-epochs <n>", `teacher epochs (default ${d.teacher.epochs})`, num("teacher-epochs"))
  .option("--single-teacher", "one teacher over all classes instead of one per subset")
  .option("--no-kd", "train the student without distillation")
  .option(
    "--teacher-logits <file.json>",
    "distil from an ensemble's soft targets computed elsewhere (experiments/torch-gpu's ensemble-train-logits.json, its .bin beside it) instead of per-subset teachers",
  )
  .option("--kd-alpha <a>", `weight of the KD term (default ${d.kd?.alpha})`, num("kd-alpha"))
  .option("--kd-temperature <t>", `distillation temperature T (default ${d.kd?.temperature})`, num("kd-temperature"))
  .option("--no-curriculum", "train on every image from the first epoch")
  .option(
    "--curriculum-balanced <n>",
    `images per class in the first, balanced epoch (default ${d.curriculum?.balancedPerClass})`,
    num("curriculum-balanced"),
  )
  .option(
    "--curriculum-ramp <epochs>",
    `epochs over which the rest join (default ${d.curriculum?.rampEpochs})`,
    num("curriculum-ramp"),
  )
  .option(
    "--hidden <widths>",
    `student head MLP widths, "none" for linear (default ${d.head.hidden.join(",")})`,
    widths,
  )
  .option("--dropout <p>", `student head dropout (default ${d.head.dropout})`, num("dropout"))
  .addOption(new Option("--loss <kind>", `loss (default ${d.loss.kind})`).choices(LOSS_KINDS as unknown as string[]))
  .addOption(
    new Option("--weighting <kind>", `class weights (default ${d.loss.weighting})`).choices(
      CLASS_WEIGHTINGS as unknown as string[],
    ),
  )
  .option("--epochs <n>", `student head epochs (default ${d.epochs})`, num("epochs"))
  .option("--lr <x>", `student head learning rate (default ${d.learningRate})`, num("lr"))
  .option(
    "--finetune-epochs <n>",
    `fine-tune the backbone's tail for this many epochs; 0 = frozen backbone (default ${d.finetune?.epochs ?? 0})`,
    num("finetune-epochs"),
  )
  .option("--finetune-lr <x>", `fine-tuning learning rate (default ${ft.learningRate})`, num("finetune-lr"))
  .option(
    "--finetune-cut <layer>",
    `layer the fine-tuned tail starts after (default ${ft.cut}); "input" (with --finetune-images) trains the whole backbone`,
  )
  .option("--finetune-batch <n>", `fine-tuning batch size (default ${ft.batchSize})`, int("finetune-batch"))
  .option(
    "--finetune-images",
    `fine-tune on a fresh --augment-preset draw of every photo at every step, run through the frozen layers up to the cut (default ${ft.images})`,
  )
  .option("--no-finetune-images", "fine-tune on cached activations at the cut instead")
  .addOption(
    new Option(
      "--finetune-mix <mode>",
      `mix the fresh draws within each batch (with --finetune-images; default ${ft.mix.mode})`,
    ).choices(MIX_MODES as unknown as string[]),
  )
  .option("--finetune-mix-alpha <x>", `λ ~ Beta(α, α) (default ${ft.mix.alpha})`, num("finetune-mix-alpha"))
  .option(
    "--finetune-mix-probability <p>",
    `share of rows mixed (default ${ft.mix.probability})`,
    num("finetune-mix-probability"),
  )
  .option(
    "--finetune-backbone-lr-scale <x>",
    `the backbone tail's learning rate as a share of --finetune-lr, which the head gets (default ${ft.backboneLrScale})`,
    num("finetune-backbone-lr-scale"),
  )
  .option(
    "--finetune-crop <n>",
    "train the tail on random n×n crops of the cached activation maps (default 0 = whole maps)",
    num("finetune-crop"),
  )
  .option(
    "--finetune-augmented-views <n>",
    "cached draws of --augment-preset per train image at the cut that the tail also trains on (default 0)",
    int("finetune-augmented-views"),
  )
  .addOption(
    new Option(
      "--finetune-keep <which>",
      `weights kept: "best" (the epoch with the best val macro-F1, the frozen start included) or "last" (val never chooses) (default ${ft.keep})`,
    ).choices(["best", "last"]),
  )
  .option(
    "--finetune-average-last <n>",
    `with --finetune-keep last, keep the mean of the weights at the end of the last n epochs (default ${ft.averageLast})`,
    int("finetune-average-last"),
  )
  .option(
    "--finetune-patience <n>",
    `with --finetune-keep best, stop after this many epochs without a better val macro-F1 (default ${ft.patience})`,
    num("finetune-patience"),
  )
  .addOption(
    new Option("--quantization <q>", `weights of the shipped folder (default ${d.quantization})`).choices(
      QUANTIZATIONS as unknown as string[],
    ),
  )
  .addOption(unsureScoreOption(d.unsure.score))
  .addOption(backendOption().default("auto"))
  .option("--coverage <c>", `share of val images answered, not unsure (default ${d.unsure.coverage})`, num("coverage"))
  .option("--model-version <semver>", `model card version (default ${d.version})`)
  .option("--no-ablation", "skip the ablation rows")
  .option("--no-fold-batchnorm", "export the batch norms as layers instead of folding them into the convolutions")
  .showHelpAfterError();

interface Flags extends FineTuneFlags {
  data: string;
  val: string;
  out: string;
  config?: string;
  cache?: string;
  backbone?: string;
  inputSize?: number;
  augmentedViews?: number;
  augmentPreset?: string;
  ttaFlips?: FlipVariant[];
  teacherBackbone?: string[];
  seed?: number;
  manyAt?: number;
  fewBelow?: number;
  teacherFeatures?: "concat" | "student";
  teacherHidden?: number[];
  teacherEpochs?: number;
  singleTeacher?: boolean;
  kd: boolean;
  teacherLogits?: string;
  kdAlpha?: number;
  kdTemperature?: number;
  curriculum: boolean;
  curriculumBalanced?: number;
  curriculumRamp?: number;
  hidden?: number[];
  dropout?: number;
  loss?: LossKind;
  weighting?: ClassWeighting;
  epochs?: number;
  lr?: number;
  backend: BackendName;
  quantization?: Quantization;
  unsureScore?: StudentConfig["unsure"]["score"];
  coverage?: number;
  modelVersion?: string;
  ablation: boolean;
  foldBatchnorm: boolean;
  overwrite?: boolean;
}

async function main(): Promise<void> {
  program.parse();
  const f = program.opts<Flags>();
  const base: StudentConfig = { ...d, train: f.data, val: f.val, out: f.out };
  const file = f.config
    ? await readConfigFile<StudentConfig>(f.config, ["train", "val", "out", ...Object.keys(d)])
    : {};
  const c: StudentConfig = { ...base, ...file };
  const teacherBackbones = f.teacherBackbone ?? c.teacherBackbones;
  const config: StudentConfig = {
    ...c,
    cache: f.cache ?? c.cache,
    backbone: f.backbone ?? c.backbone,
    inputSize: f.inputSize ?? c.inputSize,
    augmented: { views: f.augmentedViews ?? c.augmented.views, preset: f.augmentPreset ?? c.augmented.preset },
    testTimeFlips: f.ttaFlips ?? c.testTimeFlips,
    teacherBackbones,
    seed: f.seed ?? c.seed,
    subsets: { manyAt: f.manyAt ?? c.subsets.manyAt, fewBelow: f.fewBelow ?? c.subsets.fewBelow },
    teacher: {
      ...c.teacher,
      head: { ...c.teacher.head, hidden: f.teacherHidden ?? c.teacher.head.hidden },
      epochs: f.teacherEpochs ?? c.teacher.epochs,
      features: teacherBackbones.length === 0 ? "student" : (f.teacherFeatures ?? c.teacher.features),
      perSubset: f.singleTeacher ? false : c.teacher.perSubset,
    },
    kd: f.kd && c.kd ? { alpha: f.kdAlpha ?? c.kd.alpha, temperature: f.kdTemperature ?? c.kd.temperature } : null,
    ...(f.teacherLogits !== undefined ? { teacherLogits: f.teacherLogits } : {}),
    curriculum:
      f.curriculum && c.curriculum
        ? {
            balancedPerClass: f.curriculumBalanced ?? c.curriculum.balancedPerClass,
            rampEpochs: f.curriculumRamp ?? c.curriculum.rampEpochs,
          }
        : null,
    head: { hidden: f.hidden ?? c.head.hidden, dropout: f.dropout ?? c.head.dropout },
    loss: { ...c.loss, kind: f.loss ?? c.loss.kind, weighting: f.weighting ?? c.loss.weighting },
    epochs: f.epochs ?? c.epochs,
    learningRate: f.lr ?? c.learningRate,
    finetune: fineTuneConfig(f, c.finetune),
    quantization: f.quantization ?? c.quantization,
    unsure: { score: f.unsureScore ?? c.unsure.score, coverage: f.coverage ?? c.unsure.coverage },
    version: f.modelVersion ?? c.version,
    ablation: f.ablation && c.ablation,
    foldBatchNorm: f.foldBatchnorm && c.foldBatchNorm,
  };
  validateStudentConfig(config);
  // Read now: bad folders and a teacher file that does not fit them are refused before --out is
  // claimed and before hours of caching and training.
  await checkRunFolders(config.train, config.val);
  const teacherLogits = config.teacherLogits === undefined ? undefined : await readTeacherLogits(config.teacherLogits);
  if (teacherLogits) await checkTrainCoverage(teacherLogits, config.train);
  const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  // Before any work: --out must take a new run (refused: a file, another run, something else), and
  // the run is written to OUT.partial, which becomes --out only once complete.
  const out = await claimOutFolder(config.out, {
    overwrite: f.overwrite === true,
    inputs: [
      { flag: "--data", path: config.train, photos: true },
      { flag: "--val", path: config.val, photos: true },
      { flag: "--cache", path: config.cache },
      ...(existsSync(config.backbone) ? [{ flag: "--backbone", path: config.backbone }] : []),
      ...(config.teacherLogits === undefined ? [] : [{ flag: "--teacher-logits", path: config.teacherLogits }]),
    ],
    log,
  });
  let summary: StudentSummary;
  try {
    await initBackend(f.backend, log);
    await ensureCache({
      cache: config.cache,
      train: config.train,
      val: config.val,
      backbone: config.backbone,
      inputSize: config.inputSize,
      teacherBackbones: teacherFeatureBackbones(config),
      augmented: config.augmented,
      finetune: config.finetune,
      log,
    });
    summary = await runStudent(config, out.dir, log, teacherLogits);
  } catch (error) {
    await out.abandon();
    throw error;
  }
  await out.finish();
  log(
    `model folder ${summary.exported.dir} (${summary.exported.totalBytes} bytes); summary in ${config.out}/summary.json`,
  );
}

runMain("student", main);
