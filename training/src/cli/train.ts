/** npm run train -- --data DIR [--val DIR] --backbone NAME|PATH|URL --out DIR ... (see --help) */

import { runMain } from "@pifu/core/cli";
import { Command } from "commander";
import { evaluationMarkdown } from "../metrics/index.js";
import { runTraining } from "../train/run.js";
import { createProgress } from "./progress.js";
import { addTrainOptions, configFromFlags } from "./train-options.js";

const program = addTrainOptions(
  new Command("train")
    .description(
      "Train a classification head on frozen backbone features of any folder-per-class data set (features are cached under --cache-dir). Selects the epoch with the best validation macro-F1.",
    )
    .showHelpAfterError(),
);

async function main() {
  program.parse();
  const config = await configFromFlags(program.opts(), (key) => program.getOptionValueSource(key) === "cli");
  const progress = createProgress();
  const run = await runTraining(config, {
    log: progress.log,
    onStage: progress.stage,
    onEpoch: (r, epochs) =>
      progress.epoch(
        r.epoch,
        epochs,
        `loss ${r.trainLoss.toFixed(3)} val acc ${r.valAccuracy.toFixed(3)} macro-F1 ${r.valMacroF1.toFixed(3)}`,
      ),
  }).finally(progress.stop);
  console.log(evaluationMarkdown(run.evaluation, `Validation (epoch ${run.bestEpoch})`));
  console.log(`\nrun written to ${run.outDir}`);
}

runMain("train", main);
