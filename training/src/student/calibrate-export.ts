/**
 * The end of every student, trained here or imported: temperature scaling and the unsure rule fitted
 * on the val logits, the card's fields, and the export in each quantization, each folder evaluated
 * exactly as the PWA runs it.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_PREPROCESS, type FlipVariant, SKIN8_CLASSES, type UnsureRule } from "@pifu/core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { fitTemperature } from "../calibrate/temperature.js";
import { auroc, chooseUnsureRule, UNSURE_SCORES, unsureScores } from "../calibrate/unsure.js";
import { exportEvaluated } from "../evaluate/export-evaluated.js";
import type { EvaluateResult } from "../evaluate/run.js";
import type { CardFields } from "../export/card.js";
import type { Quantization } from "../export/quantize.js";
import { argmaxRows, evaluateProbabilities, softmaxRows } from "../metrics/index.js";
import { confusionSvg } from "../report/svg.js";
import type { StudentConfig } from "./config.js";

export interface Calibration {
  temperature: number;
  eceBefore: number;
  eceAfter: number;
  nllBefore: number;
  nllAfter: number;
}

export type ChosenUnsureRule = UnsureRule & { errorAuroc: Record<string, number> };

/**
 * The configured unsure score ("auto": the one that best separates misclassified from correct val
 * images), with each score's AUROC for that separation reported either way.
 */
function pickUnsureRule(
  unsure: StudentConfig["unsure"],
  logits: Float32Array,
  labels: Int32Array,
  k: number,
  temperature: number,
): ChosenUnsureRule {
  const predicted = argmaxRows(logits, k);
  const errorAuroc: Record<string, number> = {};
  for (const score of UNSURE_SCORES) {
    const scores = unsureScores(logits, k, temperature, score);
    const wrong = [...scores].filter((_, i) => predicted[i] !== labels[i]);
    const right = [...scores].filter((_, i) => predicted[i] === labels[i]);
    errorAuroc[score] = wrong.length && right.length ? auroc(wrong, right) : 0.5;
  }
  const best =
    unsure.score === "auto"
      ? UNSURE_SCORES.reduce((a, b) => ((errorAuroc[b] ?? 0) > (errorAuroc[a] ?? 0) ? b : a))
      : unsure.score;
  return { ...chooseUnsureRule(logits, k, temperature, best, unsure.coverage), errorAuroc };
}

/** Temperature and unsure rule fitted on the uncalibrated val logits (averaged over the test-time flips). */
function calibrateOnVal(
  valLogits: Float32Array,
  labels: Int32Array,
  classIds: readonly string[],
  unsureConfig: StudentConfig["unsure"],
): { calibration: Calibration; unsure: ChosenUnsureRule } {
  const k = classIds.length;
  const fit = fitTemperature(valLogits, labels, k);
  const ece = (temperature: number) =>
    evaluateProbabilities(softmaxRows(valLogits, k, temperature), labels, classIds).metrics.ece;
  return {
    calibration: {
      temperature: fit.temperature,
      eceBefore: ece(1),
      eceAfter: ece(fit.temperature),
      nllBefore: fit.nllBefore,
      nllAfter: fit.nllAfter,
    },
    unsure: pickUnsureRule(unsureConfig, valLogits, labels, k, fit.temperature),
  };
}

const calibrationLine = ({ temperature, eceBefore, eceAfter }: Calibration, unsure: UnsureRule) =>
  `temperature ${temperature.toFixed(3)}: ECE ${eceBefore.toFixed(3)} → ${eceAfter.toFixed(3)}; unsure rule ${unsure.score} > ${unsure.threshold.toFixed(4)} (coverage ${unsure.coverage.toFixed(3)})`;

export const IMAGENET_BACKBONE =
  "Keras Applications MobileNetV2 alpha 0.35 ImageNet (tfjs layers, ../shared/backbones/mobilenet_v2_0.35_224)";

/** What a student card says that the run decides (the rest follows from the contract and the run's classes). */
export interface StudentCardInputs {
  name: string;
  version: string;
  inputSize: number;
  testTimeFlips: readonly FlipVariant[];
  classIds: readonly string[];
  /** How the student was made, after "MobileNetV2-0.35 student ". */
  madeHow: string;
  backbone: { sha256: string; source: string };
  seed: number;
  trainingConfig: Record<string, unknown>;
  data: string;
  calibration: Calibration;
  unsure: UnsureRule;
}

/** The card's fields; metrics.val is filled in by the export, measured on the exported folder. */
export function studentCardFields(inputs: StudentCardInputs): CardFields {
  const { classIds, testTimeFlips, calibration, unsure } = inputs;
  return {
    name: inputs.name,
    version: inputs.version,
    date: new Date().toISOString().slice(0, 10),
    description: `MobileNetV2-0.35 student ${inputs.madeHow}; shows the conditions a photo most resembles, with calibrated confidence and an unsure rule.`,
    intendedUse: `Decision support for community doctors and patients: ranks ${classIds.length} common skin conditions a photo most resembles. Not a diagnosis; see a doctor when unsure, when a lesion changes, bleeds or grows, or when unwell.`,
    classes: SKIN8_CLASSES.filter(({ id }) => classIds.includes(id)).map(({ id, en, zh }) => ({ id, en, zh })),
    preprocessing: { ...DEFAULT_PREPROCESS, inputSize: inputs.inputSize },
    ...(testTimeFlips.join() === "id"
      ? {}
      : { testTimeAugmentation: { flips: [...testTimeFlips], combine: "mean-logits" as const } }),
    backbone: { name: "mobilenet_v2_0.35_224", source: inputs.backbone.source, sha256: inputs.backbone.sha256 },
    training: { seed: inputs.seed, config: inputs.trainingConfig, data: inputs.data },
    metrics: { val: { accuracy: 0, macroF1: 0, weightedF1: 0, top3Accuracy: 0, ece: 0, support: 0, perClass: {} } },
    calibration: {
      temperature: calibration.temperature,
      eceBefore: calibration.eceBefore,
      eceAfter: calibration.eceAfter,
    },
    unsure: { score: unsure.score, threshold: unsure.threshold, coverage: unsure.coverage },
  };
}

export interface ExportedStudent {
  exported: { dir: string; totalBytes: number; evaluation: EvaluateResult };
  quantization: { quantization: Quantization; macroF1: number; accuracy: number; totalBytes: number }[];
}

/**
 * Exports the student in the chosen quantization (into `dir`/model) and the other two (into
 * `dir`/quantization/Q, for the report), each evaluated on `val`. `dir` is the run's unfinished
 * folder; `exported.dir` is where the model folder will be once the run is `out`.
 */
async function exportEveryQuantization(
  student: tfl.LayersModel,
  fields: CardFields,
  where: { dir: string; out: string; val: string; quantization: Quantization },
  log: (line: string) => void,
): Promise<ExportedStudent> {
  const quantization: ExportedStudent["quantization"] = [];
  let exported: ExportedStudent["exported"] | undefined;
  const chosen = where.quantization;
  for (const q of [chosen, ...(["float32", "float16", "uint8"] as const).filter((x) => x !== chosen)]) {
    const at = q === chosen ? ["model"] : ["quantization", q];
    const { totalBytes, evaluation } = await exportEvaluated(student, join(where.dir, ...at), fields, q, where.val);
    log(
      `exported ${q}: ${totalBytes} bytes; val accuracy ${evaluation.accuracy.toFixed(3)}, macro-F1 ${evaluation.macroF1.toFixed(4)}`,
    );
    quantization.push({ quantization: q, macroF1: evaluation.macroF1, accuracy: evaluation.accuracy, totalBytes });
    if (q === chosen) exported = { dir: join(where.out, ...at), totalBytes, evaluation };
  }
  if (!exported) throw new Error("the chosen quantization was not exported");
  return { exported, quantization };
}

/** What every student run ends with, trained here or imported: its calibration, unsure rule and exports. */
export interface CalibratedExport extends ExportedStudent {
  calibration: Calibration;
  unsure: ChosenUnsureRule;
}

/**
 * The end of a student run: temperature and unsure rule fitted on the uncalibrated val logits
 * (averaged over the test-time flips), the card, every quantization exported and evaluated, and
 * beside them in `where.dir` the val logits (val-logits.json, for later analysis) and the chosen
 * export's confusion matrix (student-confusion.svg).
 */
export async function calibrateAndExport(
  student: tfl.LayersModel,
  val: { logits: Float32Array; labels: Int32Array },
  unsureConfig: StudentConfig["unsure"],
  card: Omit<StudentCardInputs, "calibration" | "unsure">,
  where: { dir: string; out: string; val: string; quantization: Quantization },
  log: (line: string) => void,
): Promise<CalibratedExport> {
  const { classIds } = card;
  const { calibration, unsure } = calibrateOnVal(val.logits, val.labels, classIds, unsureConfig);
  log(calibrationLine(calibration, unsure));
  const fields = studentCardFields({ ...card, calibration, unsure });
  const { exported, quantization } = await exportEveryQuantization(student, fields, where, log);
  await writeFile(
    join(where.dir, "val-logits.json"),
    JSON.stringify({ classes: classIds, labels: Array.from(val.labels), logits: Array.from(val.logits) }),
  );
  await writeFile(
    join(where.dir, "student-confusion.svg"),
    confusionSvg(`${card.name} ${card.version} on val`, exported.evaluation.confusion, classIds),
  );
  return { calibration, unsure, exported, quantization };
}
