/**
 * npm run export-model -- --model DIR --out DIR --data VAL [--quantization float16] [--model-version X]
 * Re-exports a float32 model folder (e.g. a student run's quantization/float32) in another
 * quantization, with the card carried over, optionally a new version, and val metrics measured on
 * the new folder exactly as the PWA runs it. Useful when the exporter improves after a long run.
 */
import { isAbsolute, relative, resolve } from "node:path";
import { type ModelCard, SEMVER_PATTERN } from "@pifu/core";
import { isMain, runMain } from "@pifu/core/cli";
import { Command, Option } from "commander";
import { type BackendName, initBackend } from "../backend/index.js";
import { exportEvaluated } from "../evaluate/export-evaluated.js";
import { openModelDir } from "../evaluate/model-dir.js";
import type { CardFields } from "../export/card.js";
import { QUANTIZATIONS, type Quantization } from "../export/quantize.js";
import { backendOption } from "./parse.js";

const program = new Command()
  .name("export-model")
  .description("Re-export a float32 pifu model folder quantized, with its card carried over and val metrics remeasured")
  .requiredOption("--model <dir>", "float32 model folder (model-card.json, model.json, shards)")
  .requiredOption("--out <dir>", "folder to write (replaced)")
  .requiredOption("--data <dir>", "labelled val images the card's metrics are measured on")
  .addOption(
    new Option("--quantization <q>", "weights of the new folder").choices([...QUANTIZATIONS]).default("float16"),
  )
  .option("--model-version <semver>", "version of the new card (default: the source card's)")
  .addOption(backendOption().default("wasm"))
  .showHelpAfterError();

/** Whether `path` is `folder` or lies inside it. */
function isWithin(path: string, folder: string): boolean {
  const rel = relative(resolve(folder), resolve(path));
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** The source card's fields for the new export: today's date, and the new version if given. */
export function reexportFields(card: ModelCard, version?: string): CardFields {
  const { schemaVersion: _s, files: _f, modelFile: _m, quantization: _q, ...fields } = card;
  return { ...fields, version: version ?? card.version, date: new Date().toISOString().slice(0, 10) };
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
  for (const [flag, dir] of [
    ["--model", o.model],
    ["--data", o.data],
  ] as const) {
    if (isWithin(dir, o.out)) throw new Error(`--out ${o.out} holds ${flag} ${dir}, and --out is replaced`);
  }
  // The new folder is built beside --out, which would put it among the val classes.
  if (isWithin(o.out, o.data)) throw new Error(`--out ${o.out} is inside --data ${o.data}; choose a folder outside it`);
  if (o.modelVersion !== undefined && !SEMVER_PATTERN.test(o.modelVersion))
    throw new Error(`--model-version must be a semver version such as 1.3.0, got "${o.modelVersion}"`);
  await initBackend(o.backend, (line) => console.error(line));
  const { card, model } = await openModelDir(o.model);
  if (card.quantization !== "float32")
    throw new Error(
      `${o.model} is ${card.quantization}; re-export from a float32 folder so rounding is not compounded`,
    );
  const result = await exportEvaluated(model, o.out, reexportFields(card, o.modelVersion), o.quantization, o.data);
  const { accuracy, macroF1, ece } = result.evaluation;
  console.log(
    `${o.out}: ${card.name} ${result.card.version} (${o.quantization}), ${result.totalBytes} bytes; val accuracy ${accuracy.toFixed(3)}, macro-F1 ${macroF1.toFixed(4)}, ECE ${ece.toFixed(3)}`,
  );
}

if (isMain(import.meta.url)) runMain("export-model", main);
