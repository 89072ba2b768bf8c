/**
 * npm run adapt-backbone -- --backbone DIR --data DIR --out DIR [--size 224] [--range -1,1]
 * Re-estimates a backbone's batch-norm statistics on a folder-per-class photo set (AdaBN) and saves the
 * result as a layers model folder a student run takes as `--backbone`, with adaptation.json beside it.
 */
import { DEFAULT_PREPROCESS } from "@pifu/core";
import { isMain, runMain } from "@pifu/core/cli";
import { Command, Option } from "commander";
import { initBackend } from "../backend/index.js";
import { adaptBackboneFolder } from "../student/adapt-backbone.js";
import { int, range, side } from "./parse.js";
import { createProgress } from "./progress.js";

/** A count of photos batch norms are estimated on: one photo has no variance, so at least 2. */
const photos = (name: string) => (value: string) => {
  const n = int(name)(value);
  if (n < 2) throw new Error(`--${name} must be at least 2 (a batch norm's statistics need 2 photos), got ${n}`);
  return n;
};

const program = new Command()
  .name("adapt-backbone")
  .description("Replace a backbone's batch-norm statistics with those of a photo folder (AdaBN); weights are kept")
  .requiredOption("--backbone <dir>", "tfjs layers model folder, model.json path or URL")
  .requiredOption("--data <dir>", "folder-per-class photos (e.g. the training split)")
  .requiredOption(
    "--out <dir>",
    "folder for the adapted model and adaptation.json: new, empty or an earlier adapt-backbone output (replaced)",
  )
  .option("--size <px>", "square input side", side("size"), DEFAULT_PREPROCESS.inputSize)
  .addOption(
    new Option("--range <min,max>", "the backbone's input range")
      .argParser(range)
      .default(DEFAULT_PREPROCESS.range, DEFAULT_PREPROCESS.range.join(",")),
  )
  .option("--batch <n>", "photos per batch (statistics are averaged over batches)", photos("batch"), 32)
  .option("--max-images <n>", "at most this many photos, a seeded random sample (default all)", photos("max-images"))
  .option("--seed <n>", "seed of the photo order", int("seed"), 42)
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<{
    backbone: string;
    data: string;
    out: string;
    size: number;
    range: [number, number];
    batch: number;
    maxImages?: number;
    seed: number;
  }>();
  await initBackend("wasm", (line) => console.error(line));
  const progress = createProgress();
  const record = await adaptBackboneFolder({
    backbone: o.backbone,
    data: o.data,
    out: o.out,
    preprocessing: { ...DEFAULT_PREPROCESS, inputSize: o.size, range: o.range },
    batchSize: o.batch,
    seed: o.seed,
    ...(o.maxImages === undefined ? {} : { maxImages: o.maxImages }),
    onProgress: (done, total) => progress.stage("photos", done, total),
  });
  progress.stop();
  for (const failure of record.failed) console.error(`left out ${failure}`);
  console.log(
    `${o.out}: ${record.batchNorms} batch norms re-estimated on ${record.images} photos of ${record.data} (${record.failed.length} unreadable, left out)`,
  );
}

if (isMain(import.meta.url)) runMain("adapt-backbone", main);
