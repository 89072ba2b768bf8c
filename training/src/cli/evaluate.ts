/**
 * npm run evaluate -- --model DIR --data DIR [--ood DIR] [--json FILE]
 * Evaluates an exported model folder exactly as the PWA runs it and prints the classification report.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { runMain } from "@pifu/core/cli";
import { Command } from "commander";
import { type BackendName, initBackend } from "../backend/index.js";
import { openModelDir } from "../evaluate/model-dir.js";
import { evaluateModel } from "../evaluate/run.js";
import { evaluationMarkdown } from "../metrics/index.js";
import { backendOption, positiveInt } from "./parse.js";

const program = new Command()
  .name("evaluate")
  .description(
    "Evaluate an exported pifu model folder (model-card.json, model.json, shards) on folder-per-class images",
  )
  .requiredOption("--model <dir>", "model folder with model-card.json")
  .requiredOption(
    "--data <dir>",
    "labelled images: one folder per class id of the model card (optional manifest.csv with a source column)",
  )
  .option(
    "--ood <dir>",
    "images of other conditions (any layout); reports the AUROC of the unsure score and unsure rates",
  )
  .option("--json <file>", "write the full result as JSON here")
  .option("--batch <n>", "images per forward pass", positiveInt("batch"), 16)
  .addOption(backendOption().default("wasm"))
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const opts = program.opts<{
    model: string;
    data: string;
    ood?: string;
    json?: string;
    batch: number;
    backend: BackendName;
  }>();
  await initBackend(opts.backend, (line) => console.error(line));
  const { card, model } = await openModelDir(opts.model);
  console.error(`model ${card.name} ${card.version} (${card.quantization}), ${card.classes.length} classes, verified`);
  const { result, evaluation } = await evaluateModel({
    model,
    card,
    data: opts.data,
    ...(opts.ood ? { ood: opts.ood } : {}),
    batchSize: opts.batch,
  });
  console.log(evaluationMarkdown(evaluation, `${card.name} ${card.version} on ${result.data}`));
  console.log(
    `\nUnsure (${card.unsure.score} > ${card.unsure.threshold.toFixed(4)}, T = ${card.calibration.temperature.toFixed(3)}): ${(100 * result.unsureRateIn).toFixed(1)}% of in-set images`,
  );
  if (result.ood) {
    console.log(
      `Other conditions (${result.ood.support} images): unsure ${(100 * result.ood.unsureRateOod).toFixed(1)}%, AUROC of the unsure score ${result.ood.oodAuroc.toFixed(3)}`,
    );
    const byScore = Object.entries(result.ood.aurocByScore).map(([score, value]) => `${score} ${value.toFixed(3)}`);
    console.log(`AUROC each unsure score would give: ${byScore.join(", ")}`);
  }
  if (result.skipped.length > 0) {
    console.log(`\nSkipped ${result.skipped.length} file(s):`);
    for (const s of result.skipped) console.log(`- ${s.path}: ${s.reason}`);
  }
  if (opts.json) {
    await mkdir(dirname(opts.json), { recursive: true });
    await writeFile(opts.json, `${JSON.stringify(result, null, 2)}\n`);
    console.error(`wrote ${opts.json}`);
  }
}

runMain("evaluate", main);
