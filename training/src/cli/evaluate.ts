/**
 * npm run evaluate -- --model DIR --data DIR [--ood DIR] [--json FILE]
 * Evaluates an exported model folder exactly as the PWA runs it and prints the classification report.
 * --data may hold a subset of the card's classes; the report then names the missing ones
 * (`missingClasses` in the JSON), as its macro averages cover only the classes present.
 */
import { runMain } from "@pifu/core/cli";
import { Command } from "commander";
import { type BackendName, initBackend } from "../backend/index.js";
import { openModelDir } from "../evaluate/model-dir.js";
import { evaluateModel } from "../evaluate/run.js";
import { prepareOutputFile } from "../fs/output-file.js";
import { writeFileAtomicSync } from "../fs/write-atomic.js";
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
  .option("--json <file>", "write the full result as JSON here (outside --model, --data and --ood)")
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
  // Before the work: never inside an input (a --json of MODEL/model-card.json would overwrite the card).
  if (opts.json)
    await prepareOutputFile("--json", opts.json, [
      { flag: "--model", path: opts.model },
      { flag: "--data", path: opts.data },
      { flag: "--ood", path: opts.ood },
    ]);
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
  if (result.missingClasses.length > 0) {
    const k = card.classes.length;
    const note = `--data has no images of ${result.missingClasses.length} of the card's ${k} classes (${result.missingClasses.join(", ")}); macro averages cover the ${k - result.missingClasses.length} present`;
    console.log(`\nNote: ${note}.`);
    console.error(`warning: ${note}`);
  }
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
    writeFileAtomicSync(opts.json, `${JSON.stringify(result, null, 2)}\n`);
    console.error(`wrote ${opts.json}`);
  }
}

runMain("evaluate", main);
