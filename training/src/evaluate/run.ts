/**
 * Evaluates an exported model on a labelled folder-per-class set (and optionally a folder of images
 * of other conditions) the way the PWA runs it: core `preprocess` with the card's spec, logits from
 * the model averaged over the card's test-time flips, core `interpretLogits` with the card's
 * temperature and unsure rule.
 */
import { interpretLogits, type ModelCard, meanOverViews, preprocess, testTimeFlips, viewBatch } from "@pifu/core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { tf } from "../backend/index.js";
import { auroc, UNSURE_SCORES, type UnsureScoreName, unsureScores } from "../calibrate/unsure.js";
import {
  concatFloat32,
  type Dataset,
  DatasetError,
  DecodeError,
  decodeImage,
  listImageFiles,
  readDataset,
  type SkippedFile,
} from "../data/index.js";
import { type Evaluation, evaluateProbabilities } from "../metrics/index.js";

export interface EvaluateResult {
  model: { name: string; version: string; quantization: string };
  data: string;
  accuracy: number;
  macroF1: number;
  weightedF1: number;
  top3Accuracy: number;
  ece: number;
  support: number;
  perClass: Evaluation["metrics"]["perClass"];
  perSource?: Evaluation["metrics"]["perSource"];
  confusion: number[][];
  classes: string[];
  /**
   * The card's classes with no image in `data`: the macro averages then cover only the classes
   * present (evaluating on a subset folder is allowed, but the report says so).
   */
  missingClasses: string[];
  unsureRateIn: number;
  ood?: {
    data: string;
    support: number;
    oodAuroc: number;
    unsureRateOod: number;
    /** The AUROC each unsure score would give (the card's is `oodAuroc`), for choosing the rule. */
    aurocByScore: Record<UnsureScoreName, number>;
  };
  oodAuroc?: number;
  unsureRateOod?: number;
  skipped: SkippedFile[];
}

interface Scored {
  /** Averaged over the card's test-time flips, before calibration. */
  logits: Float32Array;
  probabilities: Float32Array;
  unsureScores: Float64Array;
  unsure: number;
  kept: number[];
  skipped: SkippedFile[];
}

/** Runs the model over image files in batches; undecodable files are skipped and listed. */
export async function scoreImages(
  model: tfl.LayersModel,
  /** What of a card the runner reads (a whole card, or a run's before its export). */
  card: Pick<ModelCard, "classes" | "preprocessing" | "testTimeAugmentation" | "calibration" | "unsure">,
  paths: readonly string[],
  batchSize = 16,
): Promise<Scored> {
  const k = card.classes.length;
  const size = card.preprocessing.inputSize;
  const flips = testTimeFlips(card);
  const logitRows: Float32Array[] = [];
  const probabilities: number[] = [];
  const scores: number[] = [];
  const kept: number[] = [];
  const skipped: SkippedFile[] = [];
  let unsure = 0;
  for (let start = 0; start < paths.length; start += batchSize) {
    const inputs: Float32Array[] = [];
    for (let i = start; i < Math.min(paths.length, start + batchSize); i++) {
      const path = paths[i] as string;
      try {
        inputs.push(preprocess(await decodeImage(path), card.preprocessing));
        kept.push(i);
      } catch (error) {
        skipped.push({ path, reason: error instanceof DecodeError ? error.reason : (error as Error).message });
      }
    }
    if (inputs.length === 0) continue;
    const batch = viewBatch(concatFloat32(inputs), size, flips);
    const rows = inputs.length * flips.length;
    const viewLogits = tf.tidy(
      () => (model.predict(tf.tensor4d(batch, [rows, size, size, 3])) as tf.Tensor).dataSync() as Float32Array,
    );
    const logits = meanOverViews(viewLogits, flips.length, k);
    logitRows.push(logits);
    for (let j = 0; j < inputs.length; j++) {
      const result = interpretLogits(logits.subarray(j * k, (j + 1) * k), card.calibration, card.unsure);
      probabilities.push(...result.probabilities);
      scores.push(result.unsureScore);
      if (result.unsure) unsure++;
    }
  }
  return {
    logits: concatFloat32(logitRows),
    probabilities: Float32Array.from(probabilities),
    unsureScores: Float64Array.from(scores),
    unsure,
    kept,
    skipped,
  };
}

/** The data set's classes (e.g. the card's, when read with them) that have no image in it. */
export function missingClasses(dataset: Pick<Dataset, "classes" | "items">): string[] {
  const present = new Set(dataset.items.map((item) => item.classId));
  return dataset.classes.filter((id) => !present.has(id));
}

export interface EvaluateOptions {
  model: tfl.LayersModel;
  card: ModelCard;
  data: string;
  ood?: string;
  batchSize?: number;
}

export async function evaluateModel(
  options: EvaluateOptions,
): Promise<{ result: EvaluateResult; evaluation: Evaluation }> {
  const { model, card } = options;
  const classes = card.classes.map((c) => c.id);
  const dataset = await readDataset(options.data, { classes, classesFrom: "the model card" });
  const scored = await scoreImages(
    model,
    card,
    dataset.items.map((i) => i.path),
    options.batchSize,
  );
  if (scored.kept.length === 0) throw new DatasetError(`no image in ${dataset.root} could be decoded`);
  const items = scored.kept.map((i) => dataset.items[i] as (typeof dataset.items)[number]);
  const decoded = new Set(items.map((item) => item.classId));
  const undecodable = [...new Set(dataset.items.map((item) => item.classId))].filter((id) => !decoded.has(id));
  if (undecodable.length > 0) {
    // Every photo of those classes failed, so the first of them is among the skipped and says why.
    const firstPath = dataset.items.find((item) => item.classId === undecodable[0])?.path;
    const first = scored.skipped.find((s) => s.path === firstPath);
    throw new DatasetError(
      `no image in class folder(s) ${undecodable.join(", ")} of ${dataset.root} could be decoded (e.g. ${first?.path}: ${first?.reason})`,
    );
  }
  const evaluation = evaluateProbabilities(
    scored.probabilities,
    items.map((i) => i.label),
    classes,
    items.map((i) => i.source),
  );
  const m = evaluation.metrics;
  const result: EvaluateResult = {
    model: { name: card.name, version: card.version, quantization: card.quantization },
    data: dataset.root,
    accuracy: m.accuracy,
    macroF1: m.macroF1,
    weightedF1: m.weightedF1,
    top3Accuracy: m.top3Accuracy,
    ece: m.ece,
    support: m.support,
    perClass: m.perClass,
    ...(m.perSource ? { perSource: m.perSource } : {}),
    confusion: evaluation.confusion,
    classes,
    missingClasses: missingClasses(dataset),
    unsureRateIn: scored.unsure / scored.kept.length,
    skipped: [...dataset.skipped, ...scored.skipped],
  };
  if (options.ood) {
    const listed = await listImageFiles(options.ood);
    if (listed.paths.length === 0) throw new DatasetError(`OOD folder ${options.ood} holds no images`);
    const ood = await scoreImages(model, card, listed.paths, options.batchSize);
    if (ood.kept.length === 0) throw new DatasetError(`no image in OOD folder ${options.ood} could be decoded`);
    const oodAuroc = auroc(ood.unsureScores, scored.unsureScores);
    const unsureRateOod = ood.unsure / ood.kept.length;
    const k = classes.length;
    const { temperature } = card.calibration;
    const aurocByScore = Object.fromEntries(
      UNSURE_SCORES.map((score) => [
        score,
        auroc(unsureScores(ood.logits, k, temperature, score), unsureScores(scored.logits, k, temperature, score)),
      ]),
    ) as Record<UnsureScoreName, number>;
    result.ood = { data: options.ood, support: ood.kept.length, oodAuroc, unsureRateOod, aurocByScore };
    result.oodAuroc = oodAuroc;
    result.unsureRateOod = unsureRateOod;
    result.skipped.push(...listed.skipped, ...ood.skipped);
  }
  return { result, evaluation };
}
