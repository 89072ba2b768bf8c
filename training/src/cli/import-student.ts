/**
 * npm run import-student -- --weights OUT/NAME.bin --val DIR --out DIR --model-version X [options]
 * A MobileNetV2-0.35 student trained in experiments/torch-gpu → calibrated, quantized pifu model
 * folder with its card, evaluated as the PWA runs it.
 */
import { existsSync } from "node:fs";
import { SEMVER_PATTERN } from "@pifu/core";
import { runMain } from "@pifu/core/cli";
import { Command, Option } from "commander";
import { type BackendName, initBackend } from "../backend/index.js";
import { QUANTIZATIONS, type Quantization } from "../export/quantize.js";
import { DEFAULT_STUDENT_CONFIG, type StudentConfig } from "../student/config.js";
import { checkImport, type ImportSummary, importKept } from "../student/import-kept.js";
import { claimOutFolder } from "../student/out-folder.js";
import { backendOption, inputSizeOption, num, ttaFlipsOption, unsureScoreOption } from "./parse.js";

const d = DEFAULT_STUDENT_CONFIG;

const program = new Command()
  .name("import-student")
  .description(
    "Make a pifu model folder from a MobileNetV2-0.35 student trained in experiments/torch-gpu (NAME.bin beside its results.json): load its weights by name, fold its batch norms, fit temperature and unsure rule on val, export it quantized with a model card, and evaluate the exported folder.",
  )
  .requiredOption("--weights <file>", "kept weights OUT/NAME.bin (the layout is read from OUT/results.json)")
  .requiredOption("--val <dir>", "validation images of the run's classes (calibration, unsure threshold, metrics)")
  .requiredOption(
    "--out <dir>",
    "output folder, new or empty (written as DIR.partial, renamed once complete): model/, quantization/, summary.json",
  )
  .requiredOption("--model-version <semver>", "the card's version, e.g. 1.4.0")
  .option("--overwrite", "replace the finished import at --out, once the new one is complete")
  .option(
    "--backbone <path>",
    `the student's architecture, its ImageNet weights named on the card (default ${d.backbone})`,
  )
  .addOption(inputSizeOption(d.inputSize))
  .option("--name <name>", `the card's model name (default ${d.name})`)
  .addOption(
    new Option("--quantization <q>", `weights of model/ (default ${d.quantization})`).choices([...QUANTIZATIONS]),
  )
  .addOption(ttaFlipsOption(d.testTimeFlips))
  .addOption(unsureScoreOption(d.unsure.score))
  .option("--coverage <c>", `share of val images answered, not unsure (default ${d.unsure.coverage})`, num("coverage"))
  .addOption(backendOption().default("wasm"))
  .showHelpAfterError();

interface Flags {
  weights: string;
  val: string;
  out: string;
  modelVersion: string;
  overwrite?: boolean;
  backbone?: string;
  inputSize?: number;
  name?: string;
  quantization?: Quantization;
  ttaFlips?: StudentConfig["testTimeFlips"];
  unsureScore?: StudentConfig["unsure"]["score"];
  coverage?: number;
  backend: BackendName;
}

async function main(): Promise<void> {
  program.parse();
  const f = program.opts<Flags>();
  if (!SEMVER_PATTERN.test(f.modelVersion))
    throw new Error(`--model-version must be a semver version such as 1.4.0, got "${f.modelVersion}"`);
  const coverage = f.coverage ?? d.unsure.coverage;
  if (!(coverage > 0 && coverage <= 1)) throw new Error(`--coverage must be in (0, 1], got ${coverage}`);
  const backbone = f.backbone ?? d.backbone;
  // Read now: a file or val folder that does not fit is refused before --out is claimed.
  const checked = await checkImport(f.weights, f.val);
  const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  const out = await claimOutFolder(f.out, {
    overwrite: f.overwrite === true,
    inputs: [
      { flag: "--val", path: f.val, photos: true },
      { flag: "--weights", path: f.weights },
      ...(existsSync(backbone) ? [{ flag: "--backbone", path: backbone }] : []),
    ],
    log,
  });
  let summary: ImportSummary;
  try {
    await initBackend(f.backend, log);
    summary = await importKept(
      {
        weights: f.weights,
        backbone,
        inputSize: f.inputSize ?? d.inputSize,
        val: f.val,
        dir: out.dir,
        out: f.out,
        name: f.name ?? d.name,
        version: f.modelVersion,
        quantization: f.quantization ?? d.quantization,
        testTimeFlips: f.ttaFlips ?? d.testTimeFlips,
        unsure: { score: f.unsureScore ?? d.unsure.score, coverage },
      },
      checked,
      log,
    );
  } catch (error) {
    await out.abandon();
    throw error;
  }
  await out.finish();
  const { accuracy, macroF1, ece } = summary.exported.evaluation;
  log(
    `model folder ${summary.exported.dir} (${summary.exported.totalBytes} bytes): val accuracy ${accuracy.toFixed(3)}, macro-F1 ${macroF1.toFixed(3)}, ECE ${ece.toFixed(3)}; summary in ${f.out}/summary.json`,
  );
}

runMain("import-student", main);
