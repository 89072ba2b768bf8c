/**
 * npm run export-model -- --model DIR --out DIR --data VAL [--quantization float16] [--model-version X]
 * Re-exports a float32 model folder (e.g. a student run's quantization/float32) in another
 * quantization, with the card carried over, optionally a new version, and val metrics measured on
 * the new folder exactly as the PWA runs it (--data must hold every class of the card, and the card's
 * training.data then names it). Useful when the exporter improves after a long run.
 */
import { type ModelCard, SEMVER_PATTERN } from "@pifu/core";
import { isMain, runMain } from "@pifu/core/cli";
import { Command, Option } from "commander";
import { type BackendName, initBackend } from "../backend/index.js";
import { readDataset } from "../data/index.js";
import { exportEvaluated } from "../evaluate/export-evaluated.js";
import { openModelDir } from "../evaluate/model-dir.js";
import { missingClasses } from "../evaluate/run.js";
import type { CardFields } from "../export/card.js";
import { QUANTIZATIONS, type Quantization } from "../export/quantize.js";
import { checkInputsOutside, checkOutNotInside } from "../fs/replace-folder.js";
import { backendOption } from "./parse.js";

const program = new Command()
  .name("export-model")
  .description("Re-export a float32 pifu model folder quantized, with its card carried over and val metrics remeasured")
  .requiredOption("--model <dir>", "float32 model folder (model-card.json, model.json, shards)")
  .requiredOption("--out <dir>", "folder to write (replaced)")
  .requiredOption("--data <dir>", "labelled val images of every class of the card, its metrics measured on them")
  .addOption(
    new Option("--quantization <q>", "weights of the new folder").choices([...QUANTIZATIONS]).default("float16"),
  )
  .option("--model-version <semver>", "version of the new card (default: the source card's)")
  .addOption(backendOption().default("wasm"))
  .showHelpAfterError();

const MEASURED_ON = "metrics.val measured on ";

/**
 * The source card's fields for the new export: today's date, the new version if given, and
 * `training.data` ending with the folder the new metrics.val are measured on (replacing the note an
 * earlier re-export left), since that may not be the val the run was calibrated on.
 */
export function reexportFields(card: ModelCard, version: string | undefined, val: string): CardFields {
  const { schemaVersion: _s, files: _f, modelFile: _m, quantization: _q, ...fields } = card;
  const earlier = card.training.data ?? "";
  const note = earlier.startsWith(MEASURED_ON) ? 0 : earlier.indexOf(`; ${MEASURED_ON}`);
  const before = note < 0 ? earlier : earlier.slice(0, note);
  const data = before ? `${before}; ${MEASURED_ON}${val}` : `${MEASURED_ON}${val}`;
  return {
    ...fields,
    version: version ?? card.version,
    date: new Date().toISOString().slice(0, 10),
    training: { ...card.training, data },
  };
}

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<{
    model: string;
    out: string;
    data: string;
    quantization: Quantization;
    modelVersion?: string;
    backend: BackendName;
  }>();
  const inputs = [
    { flag: "--model", path: o.model },
    { flag: "--data", path: o.data },
  ];
  // --out is replaced, and its working folders (what a killed export leaves) deleted or renamed.
  checkInputsOutside(o.out, inputs);
  checkOutNotInside(o.out, inputs);
  if (o.modelVersion !== undefined && !SEMVER_PATTERN.test(o.modelVersion))
    throw new Error(`--model-version must be a semver version such as 1.3.0, got "${o.modelVersion}"`);
  await initBackend(o.backend, (line) => console.error(line));
  const { card, model } = await openModelDir(o.model);
  if (card.quantization !== "float32")
    throw new Error(
      `${o.model} is ${card.quantization}; re-export from a float32 folder so rounding is not compounded`,
    );
  // Checked before the export: the card's macro averages would silently cover only the classes present.
  const missing = missingClasses(
    await readDataset(o.data, { classes: card.classes.map((c) => c.id), classesFrom: "the model card" }),
  );
  if (missing.length > 0)
    throw new Error(
      `--data ${o.data} has no images of ${missing.join(", ")}; the card's metrics.val must cover all ${card.classes.length} of its classes`,
    );
  const fields = reexportFields(card, o.modelVersion, o.data);
  const result = await exportEvaluated(model, o.out, fields, o.quantization, o.data);
  const { accuracy, macroF1, ece } = result.evaluation;
  console.log(
    `${o.out}: ${card.name} ${result.card.version} (${o.quantization}), ${result.totalBytes} bytes; val accuracy ${accuracy.toFixed(3)}, macro-F1 ${macroF1.toFixed(4)}, ECE ${ece.toFixed(3)}`,
  );
}

if (isMain(import.meta.url)) runMain("export-model", main);
