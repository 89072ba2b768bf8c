/**
 * A MobileNetV2-0.35 student trained outside this package (experiments/torch-gpu: the whole network
 * on a GPU, kept as NAME.bin + results.json) made into a pifu model folder: the student's graph
 * (backbone architecture + one-hidden-layer head) filled with the kept weights by name, its batch
 * norms folded, then the same calibration, unsure rule, card and quantized export as a student run,
 * every number measured through the PWA's own preprocessing.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { FlipVariant } from "@pifu/core";
import { loadLayersModelFrom } from "../backbones/load.js";
import { readDataset } from "../data/index.js";
import { scoreImages } from "../evaluate/run.js";
import type { Quantization } from "../export/quantize.js";
import { buildHead } from "../train/head.js";
import { assembleStudent, foldStudent } from "./assemble.js";
import { innerNetwork } from "./backbone.js";
import { type CalibratedExport, calibrateAndExport, IMAGENET_BACKBONE, studentCardFields } from "./calibrate-export.js";
import type { StudentConfig } from "./config.js";
import { type KeptWeights, KeptWeightsError, loadWeightsByName, readKeptWeights } from "./kept-weights.js";
import { exportedMarkdown } from "./report.js";

/** The kind experiments/torch-gpu gives its MobileNetV2-0.35 students (its Tiny Darknets are teachers only). */
export const STUDENT_KIND = "mobilenet_v2_0.35";

export interface ImportOptions {
  /** OUT/NAME.bin of a torch-gpu run, its layout in OUT/results.json. */
  weights: string;
  /** The student's architecture (and ImageNet starting point, named on the card). */
  backbone: string;
  inputSize: number;
  /** Labelled folder-per-class photos: calibration, unsure rule and every val number. */
  val: string;
  /** Where the import writes (the claimed OUT.partial) and where it ends up (OUT). */
  dir: string;
  out: string;
  name: string;
  version: string;
  quantization: Quantization;
  testTimeFlips: FlipVariant[];
  unsure: StudentConfig["unsure"];
}

export interface ImportSummary extends CalibratedExport {
  source: {
    weights: string;
    sha256: string;
    run: string;
    spec: Record<string, unknown>;
    epochs: number | null;
    trainedOn: string;
  };
  head: { hidden: number; classes: string[] };
  /** Files in the val folder left out of every number: not images, or images that did not decode. */
  skipped: { path: string; reason: string }[];
}

/** [features, hidden, classes] of the kept one-hidden-layer head, from its weights' shapes. */
export function keptHeadShape(kept: KeptWeights): [number, number, number] {
  const dense = kept.weights.get("head_dense_0/kernel")?.shape;
  const logits = kept.weights.get("head_logits/kernel")?.shape;
  if (!dense || !logits || dense.length !== 2 || logits.length !== 2 || dense[1] !== logits[0]) {
    throw new KeptWeightsError(
      `${kept.name}: expected a one-hidden-layer head (head_dense_0/kernel [features, hidden] and head_logits/kernel [hidden, classes])`,
    );
  }
  return [dense[0] as number, dense[1] as number, logits[1] as number];
}

/** The val folder's classes, which must be skin8's and as many as the kept head's outputs (train.py packs them in that order). */
async function valClasses(val: string, outputs: number) {
  const dataset = await readDataset(val);
  if (dataset.classOrigin !== "skin8" || dataset.classes.length !== outputs) {
    throw new KeptWeightsError(
      `--val ${val} must hold the ${outputs} skin8 class folders the kept head was trained on, in skin8's order; it holds ${dataset.classes.join(", ")}`,
    );
  }
  return dataset;
}

/** What an import reads before it claims --out: the kept weights and val, checked to fit each other. */
export interface CheckedImport {
  kept: KeptWeights;
  /** [features, hidden, classes] of the kept head. */
  head: [number, number, number];
  dataset: Awaited<ReturnType<typeof readDataset>>;
}

/** Reads the kept weights and the val folder and refuses a Tiny Darknet run, a head that is not one hidden layer, or val classes that do not fit it. */
export async function checkImport(weights: string, val: string): Promise<CheckedImport> {
  const kept = await readKeptWeights(weights);
  if (kept.run.spec.kind !== STUDENT_KIND) {
    throw new KeptWeightsError(
      `${weights} is a ${kept.run.spec.kind} run; only ${STUDENT_KIND} students are imported (the phone runs that architecture)`,
    );
  }
  const head = keptHeadShape(kept);
  return { kept, head, dataset: await valClasses(val, head[2]) };
}

export async function importKept(
  options: ImportOptions,
  { kept, head: [features, hidden, outputs], dataset }: CheckedImport,
  log: (line: string) => void,
): Promise<ImportSummary> {
  const classIds = dataset.classes;

  const backbone = await loadLayersModelFrom(options.backbone, options.inputSize);
  const head = buildHead(features, outputs, { hidden: [hidden], dropout: 0 }, kept.run.spec.seed);
  const assembled = assembleStudent(innerNetwork(backbone.model), head);
  loadWeightsByName(assembled, kept.weights);
  log(
    `${kept.name}: ${kept.weights.size} weights loaded (${kept.run.spec.kind}, head ${features} → ${hidden} → ${outputs})`,
  );
  const student = await foldStudent(assembled, log);

  const inputs = cardInputs(options, kept, classIds, backbone);
  // The val logits are uncalibrated whatever the card says; these placeholders only fill its type.
  const provisional = studentCardFields({
    ...inputs,
    calibration: { temperature: 1, eceBefore: 0, eceAfter: 0, nllBefore: 0, nllAfter: 0 },
    unsure: { score: "maxProb", threshold: 1, coverage: 1 },
  });
  const scored = await scoreImages(
    student,
    provisional,
    dataset.items.map((item) => item.path),
  );
  const labels = Int32Array.from(scored.kept, (i) => dataset.items[i]?.label as number);
  const skipped = [...dataset.skipped, ...scored.skipped];
  for (const skip of skipped) log(`skipped ${skip.path}: ${skip.reason}`);
  const calibrated = await calibrateAndExport(
    student,
    { logits: scored.logits, labels },
    options.unsure,
    inputs,
    { dir: options.dir, out: options.out, val: options.val, quantization: options.quantization },
    log,
  );
  const summary: ImportSummary = {
    source: {
      weights: options.weights,
      sha256: kept.sha256,
      run: kept.name,
      spec: kept.run.spec,
      epochs: kept.run.epochs ?? null,
      trainedOn: kept.trainedOn,
    },
    head: { hidden, classes: classIds },
    skipped,
    ...calibrated,
  };
  await writeFile(join(options.dir, "summary.md"), `${importMarkdown(summary)}\n`);
  // Last: only a complete import has summary.json.
  await writeFile(join(options.dir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

function importMarkdown(summary: ImportSummary): string {
  const { source } = summary;
  return [
    "### Imported weights",
    "",
    `${source.weights} (sha256 ${source.sha256}): run ${source.run}, ${source.epochs ?? "?"} epochs, trained on ${source.trainedOn}; spec \`${JSON.stringify(source.spec)}\`.`,
    "",
    exportedMarkdown(summary),
  ].join("\n");
}

/** How the kept network came to be, as far as its results.json says. */
function keptHistory({ name, run: { spec } }: KeptWeights): string {
  if (spec.init === undefined) return `trained whole from ImageNet in PyTorch (experiments/torch-gpu run ${name})`;
  const teachers = spec.targetModels ? `${spec.targetModels.length} networks'` : "an ensemble's";
  return `trained whole from ImageNet in PyTorch (experiments/torch-gpu ${spec.init}), then distilled from ${teachers} soft targets (run ${name})`;
}

function cardInputs(
  options: ImportOptions,
  kept: KeptWeights,
  classIds: readonly string[],
  backbone: { sha256: string },
) {
  const { spec } = kept.run;
  return {
    name: options.name,
    version: options.version,
    inputSize: options.inputSize,
    testTimeFlips: options.testTimeFlips,
    classIds,
    madeHow: `${keptHistory(kept)} on skin8, imported`,
    backbone: {
      sha256: backbone.sha256,
      source: `${IMAGENET_BACKBONE}; every layer then trained on skin8 in PyTorch (experiments/torch-gpu run ${kept.name}, on ${kept.trainedOn})`,
    },
    seed: spec.seed,
    trainingConfig: { importedFrom: { weights: options.weights, run: kept.name, spec, epochs: kept.run.epochs } },
    data: `skin8 train as packed for experiments/torch-gpu; calibrated and selected on ${options.val}`,
  };
}
