/**
 * The student run: class subsets by count → one teacher per subset → distilled student head (with a
 * curriculum) → optional tail fine-tuning → temperature scaling and unsure rule on val → export
 * (quantized) with a model card → evaluation of the exported folder exactly as the PWA runs it.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SKIN8_CLASSES } from "@pifu/core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { loadLayersModelFrom } from "../backbones/load.js";
import { fitTemperature } from "../calibrate/temperature.js";
import { classCounts } from "../data/index.js";
import { subsetsByCount } from "../distill/kd-loss.js";
import { externalKdTargets, readTeacherLogits, type TeacherLogits } from "../distill/teacher-logits.js";
import type { TeacherReport } from "../distill/teachers.js";
import type { KdTargets } from "../distill/trainer.js";
import { evaluateProbabilities, softmaxRows } from "../metrics/index.js";
import { type AdaptationRecord, readAdaptation } from "./adapt-backbone.js";
import { assembleStudent, foldStudent } from "./assemble.js";
import { innerNetwork } from "./backbone.js";
import { type CalibratedExport, calibrateAndExport, IMAGENET_BACKBONE } from "./calibrate-export.js";
import { type StudentConfig, teacherFeatureBackbones } from "./config.js";
import { checkCacheSource, loadSplit, presentClasses, type SplitData } from "./data.js";
import { fineTuneInputs } from "./finetune-inputs.js";
import { trainableTail } from "./image-batches.js";
import { f3, studentMarkdown } from "./report.js";
import { trainConfiguredTeachers } from "./teachers.js";
import { fineTuneTail, trainStudentHead } from "./train-student.js";

export interface AblationRow {
  name: string;
  kd: string;
  curriculum: boolean;
  accuracy: number;
  macroF1: number;
  /** NaN (null in summary.json) when the run's classes leave seborrhoeic dermatitis out. */
  seborrheicF1: number;
  /** ECE after this row's own temperature fit. */
  ece: number;
}

export interface StudentSummary extends CalibratedExport {
  config: StudentConfig;
  subsets: { name: string; classes: string[]; trainCounts: number[] }[];
  teachers: TeacherReport[];
  ablation: AblationRow[];
  finetuned: boolean;
}

function rowMetrics(
  name: string,
  kd: string,
  curriculum: boolean,
  logits: Float32Array,
  labels: Int32Array,
  classIds: readonly string[],
): AblationRow {
  const k = classIds.length;
  const { temperature } = fitTemperature(logits, labels, k);
  const evaluation = evaluateProbabilities(softmaxRows(logits, k, temperature), labels, classIds);
  const m = evaluation.metrics;
  return {
    name,
    kd,
    curriculum,
    accuracy: m.accuracy,
    macroF1: m.macroF1,
    seborrheicF1: m.perClass.seborrheic_dermatitis?.f1 ?? Number.NaN,
    ece: m.ece,
  };
}

async function teachersFor(
  config: StudentConfig,
  choice: "concat" | "student",
  perSubset: boolean,
  train: SplitData,
  val: SplitData,
  subsets: { name: string; classes: number[] }[],
  classIds: readonly string[],
  log: (line: string) => void,
) {
  return trainConfiguredTeachers({
    config,
    features: choice,
    subsets: perSubset ? subsets : [{ name: "all", classes: classIds.map((_, i) => i) }],
    classIds,
    train,
    val,
    log,
  });
}

/** The card's backbone source: the ImageNet backbone, and how its batch norms were adapted if they were. */
export function backboneProvenance(adaptation: AdaptationRecord | undefined): string {
  if (!adaptation) return IMAGENET_BACKBONE;
  return `${IMAGENET_BACKBONE}, batch-norm statistics re-estimated on ${adaptation.images} photos of ${adaptation.data} (npm run adapt-backbone; from sha256 ${adaptation.sourceSha256})`;
}

/** What the student distils from, as the ablation rows and the card's description name it. */
function kdSourceName(config: StudentConfig, external: TeacherLogits | undefined): string {
  if (external) return `ensemble soft targets (${external.index.models.length} models)`;
  if (!config.kd) return "none";
  return `${config.teacher.perSubset ? "per-subset" : "one all-class"} ${config.teacher.features} teachers`;
}

/** The ablation rows: the head trained without KD and/or curriculum, and with other teacher choices. */
async function ablationRows(
  config: StudentConfig,
  train: SplitData,
  val: SplitData,
  subsets: { name: string; classes: number[] }[],
  classIds: readonly string[],
  kd: KdTargets | undefined,
  kdName: string,
  log: (line: string) => void,
): Promise<AblationRow[]> {
  const withTeacherBackbone = teacherFeatureBackbones(config).length > 0;
  const rows: AblationRow[] = [];
  const curriculum = config.curriculum ?? { balancedPerClass: 21, rampEpochs: 10 };
  const variants: { name: string; kd?: KdTargets; kdName: string; curriculum: boolean }[] = [
    { name: "no KD, no curriculum", kdName: "none", curriculum: false },
    { name: "no KD, curriculum", kdName: "none", curriculum: true },
  ];
  if (kd) variants.push({ name: "KD, no curriculum", kd, kdName, curriculum: false });
  if (config.kd) {
    const studentTeachers = await teachersFor(config, "student", true, train, val, subsets, classIds, log);
    variants.push({
      name: "KD from student-feature teachers, curriculum",
      kd: studentTeachers.kd,
      kdName: "per-subset student teachers",
      curriculum: true,
    });
    if (withTeacherBackbone) {
      const single = await teachersFor(config, "concat", false, train, val, subsets, classIds, log);
      variants.push({
        name: "KD from one all-class teacher, curriculum",
        kd: single.kd,
        kdName: "one all-class concat teacher",
        curriculum: true,
      });
    }
  }
  for (const v of variants) {
    log(`ablation: ${v.name}`);
    const run = trainStudentHead(config, train, val, classIds.length, v.kd, v.curriculum ? curriculum : null);
    run.head.dispose();
    const row = rowMetrics(v.name, v.kdName, v.curriculum, run.valLogits, val.labels, classIds);
    log(`  val accuracy ${f3(row.accuracy)}, macro-F1 ${f3(row.macroF1)}, seb-derm F1 ${f3(row.seborrheicF1)}`);
    rows.push(row);
  }
  return rows;
}

/** Fine-tunes the tail after the cut together with the head; returns the val logits and the trained layers' names. */
async function fineTuneStage(
  config: StudentConfig,
  finetune: NonNullable<StudentConfig["finetune"]>,
  network: tfl.LayersModel,
  head: tfl.Sequential,
  train: SplitData,
  val: SplitData,
  classIds: readonly string[],
  kd: KdTargets | undefined,
  log: (line: string) => void,
): Promise<{ valLogits: Float32Array; trainable: string[] }> {
  const k = classIds.length;
  // Loaded only when fine-tuning: a frozen-backbone run needs no gradient kernels.
  const { registerWasmGradientKernels } = await import("../kernels/index.js");
  registerWasmGradientKernels();
  const tail = trainableTail(network, finetune.cut);
  const trainable = tail.layers
    .filter((layer) => layer.getClassName() !== "BatchNormalization" && layer.weights.length > 0)
    .map((layer) => layer.name);
  const inputs = await fineTuneInputs(config, finetune, network, {
    train: train.images.map((image) => image.path),
    val: val.images.map((image) => image.path),
  });
  log(`fine-tuning ${trainable.join(", ")} (batch norms frozen) on ${inputs.description}`);
  const valLogits = fineTuneTail({
    tail,
    head,
    trainable,
    train: { source: inputs.source, labels: train.labels },
    shape: inputs.shape,
    valInputs: inputs.valInputs,
    select: (logits) => {
      const { macroF1, accuracy } = evaluateProbabilities(softmaxRows(logits, k, 1), val.labels, classIds).metrics;
      return { score: macroF1, note: `accuracy ${accuracy.toFixed(3)}` };
    },
    numClasses: k,
    config,
    kd,
    epochs: finetune.epochs,
    learningRate: finetune.learningRate,
    backboneLrScale: finetune.backboneLrScale,
    ...(finetune.cropSize > 0 ? { cropSize: finetune.cropSize } : {}),
    patience: finetune.patience,
    keep: finetune.keep,
    averageLast: finetune.averageLast,
    batchSize: finetune.batchSize,
    log,
  });
  return { valLogits, trainable };
}

/**
 * Trains, calibrates and exports the student, writing the whole run (model/, quantization/,
 * summary.json …) into `dir`: the `OUT.partial` that `claimOutFolder(config.out)` claimed, which
 * becomes config.out only once the run is complete (the summary names the folders there).
 */
export async function runStudent(
  config: StudentConfig,
  dir: string,
  log: (line: string) => void = console.log,
  /** config.teacherLogits when the caller read it already (to refuse a bad file before caching). */
  teacherLogits?: TeacherLogits,
): Promise<StudentSummary> {
  const teacherBackbones = teacherFeatureBackbones(config);
  const cachedTrain = await loadSplit(config.cache, "train", teacherBackbones, config.inputSize, config.augmented);
  const cachedVal = await loadSplit(config.cache, "val", teacherBackbones, config.inputSize);
  checkCacheSource(cachedTrain.images, config.train, config.cache);
  checkCacheSource(cachedVal.images, config.val, config.cache);
  const { classIds, train, val, missingFromVal } = presentClasses(cachedTrain, cachedVal);
  const k = classIds.length;
  if (k < SKIN8_CLASSES.length) log(`classes: ${classIds.join(", ")} (the skin8 classes the train folder holds)`);
  if (missingFromVal.length > 0)
    log(
      `warning: val has no photos of ${missingFromVal.join(", ")}; the val metrics, temperature and unsure rule are fitted without ${missingFromVal.length === 1 ? "it" : "them"}`,
    );
  log(
    `train ${train.labels.length} images, val ${val.labels.length}; student features ${train.studentWidth}-d, teacher features ${train.teacherWidth}-d`,
  );
  const counts = classCounts(
    Array.from(train.labels, (label) => ({ label })),
    k,
  );
  const subsets = subsetsByCount(counts, config.subsets);
  for (const s of subsets) {
    log(`subset ${s.name}: ${s.classes.map((c) => `${classIds[c]} (${counts[c]})`).join(", ")}`);
  }

  let kd: KdTargets | undefined;
  let teachers: TeacherReport[] = [];
  let external: TeacherLogits | undefined;
  if (config.kd && config.teacherLogits !== undefined) {
    external = teacherLogits ?? (await readTeacherLogits(config.teacherLogits));
    kd = externalKdTargets(
      external,
      train.images.map((image) => image.id),
      classIds,
      config.kd,
    );
    log(
      `KD targets: ${external.file} (mean of ${external.index.models.length} models: ${external.index.models.join(", ")})`,
    );
  } else if (config.kd) {
    const made = await teachersFor(
      config,
      config.teacher.features,
      config.teacher.perSubset,
      train,
      val,
      subsets,
      classIds,
      log,
    );
    kd = made.kd;
    teachers = made.reports;
  }
  log(`student head (${config.kd ? "KD" : "no KD"}, ${config.curriculum ? "curriculum" : "no curriculum"})`);
  const main = trainStudentHead(config, train, val, k, kd, config.curriculum, log);
  const kdName = kdSourceName(config, external);
  const ablation: AblationRow[] = [
    rowMetrics(
      "chosen configuration (frozen backbone)",
      kdName,
      config.curriculum !== null,
      main.valLogits,
      val.labels,
      classIds,
    ),
  ];
  log(`  val accuracy ${ablation[0]?.accuracy.toFixed(3)}, macro-F1 ${ablation[0]?.macroF1.toFixed(3)}`);

  if (config.ablation) ablation.push(...(await ablationRows(config, train, val, subsets, classIds, kd, kdName, log)));

  const backbone = await loadLayersModelFrom(config.backbone, config.inputSize);
  const network = innerNetwork(backbone.model);
  let valLogits = main.valLogits;
  let trainable: string[] = [];
  if (config.finetune) {
    const tuned = await fineTuneStage(config, config.finetune, network, main.head, train, val, classIds, kd, log);
    valLogits = tuned.valLogits;
    trainable = tuned.trainable;
    const row = rowMetrics(
      `chosen configuration + tail after ${config.finetune.cut} fine-tuned`,
      kdName,
      config.curriculum !== null,
      valLogits,
      val.labels,
      classIds,
    );
    log(`  val accuracy ${row.accuracy.toFixed(3)}, macro-F1 ${row.macroF1.toFixed(3)}`);
    ablation.push(row);
  }

  const assembled = assembleStudent(network, main.head);
  const student = config.foldBatchNorm ? await foldStudent(assembled, log) : assembled;
  const calibrated = await calibrateAndExport(
    student,
    { logits: valLogits, labels: val.labels },
    config.unsure,
    {
      name: config.name,
      version: config.version,
      inputSize: config.inputSize,
      testTimeFlips: config.testTimeFlips,
      classIds,
      madeHow: `${kdName === "none" ? "trained on the labels alone" : `distilled from ${kdName}`} on skin8`,
      backbone: { sha256: backbone.sha256, source: backboneProvenance(await readAdaptation(config.backbone)) },
      seed: config.seed,
      trainingConfig: {
        ...config,
        subsets: subsets.map((s) => ({ name: s.name, classes: s.classes.map((c) => classIds[c]) })),
        finetuned: [...trainable, "head"],
        ...(external ? { teacherLogitsSource: { binSha256: external.binSha256, models: external.index.models } } : {}),
      },
      data: `skin8 train (${config.train}); calibrated and selected on ${config.val}`,
    },
    { dir, out: config.out, val: config.val, quantization: config.quantization },
    log,
  );
  const summary: StudentSummary = {
    config,
    subsets: subsets.map((s) => ({
      name: s.name,
      classes: s.classes.map((c) => classIds[c] as string),
      trainCounts: s.classes.map((c) => counts[c] as number),
    })),
    teachers,
    ablation,
    ...calibrated,
    finetuned: config.finetune !== null,
  };
  await writeFile(join(dir, "summary.md"), `${studentMarkdown(summary)}\n`);
  // Last: only a complete run has summary.json (what --overwrite may replace, see out-folder.ts).
  await writeFile(join(dir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}
