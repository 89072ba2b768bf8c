/** npm run ablation -- --data DIR --val DIR --out DIR: reruns the seed report's tables (see --help). */
import { join, resolve } from "node:path";
import { runMain } from "@pifu/core/cli";
import { Command } from "commander";
import type { TrainConfig } from "../train/config.js";
import { type RunResult, runTraining } from "../train/run.js";
import {
  type AblationRow,
  type AblationTable,
  ablationPlan,
  HEAD_DEFAULT_KEYS,
  type HeadDefaultKey,
  rowConfig,
} from "./ablation-plan.js";
import { rerunCommand, writeAblationReport } from "./ablation-report.js";
import { configDifferences, readSavedRun } from "./ablation-reuse.js";
import { int } from "./parse.js";
import { createProgress } from "./progress.js";
import { addTrainOptions, configFromFlags, trainConfigFile } from "./train-options.js";

const program = addTrainOptions(
  new Command("ablation")
    .description(
      "Rerun the seed report's tables on a folder-per-class data set: backbone comparison; baseline / mixup / CutMix; focal; re-weighting; CutMix + re-weighting; balanced softmax and logit adjustment; and stronger frozen models. Writes OUT/ablation.md with SVG curves and confusion matrices; every row's run folder is kept under --runs.",
    )
    .requiredOption("--data <dir>", "folder-per-class training images")
    .option("--val <dir>", "folder-per-class validation images (else a stratified share of --data)")
    .requiredOption("--out <dir>", "folder for ablation.md and its pictures (e.g. docs/results)")
    .option("--runs <dir>", "where each row's run folder goes", "runs/ablation")
    .option("--backbones <names>", "backbones to compare, comma-separated", "mobilenet_v2_0.35,darknet_tiny")
    .option("--methods-backbone <name>", "backbone for the methods table", "mobilenet_v2_0.35")
    .option(
      "--best-augment-copies <n>",
      "augmented training copies for the stronger-models table",
      int("best-augment-copies"),
      1,
    )
    .option(
      "--only <slugs>",
      "run only these rows (comma-separated slugs); the report adds the other rows' finished runs in --runs, marked, where they were trained with the same settings (else it stops and names them)",
    )
    .option("--skip <slugs>", "leave out these rows (comma-separated slugs)")
    .option(
      "--reuse",
      "reuse a row's finished run.json instead of training it again, where it was trained with the same settings",
    )
    .showHelpAfterError(),
  false,
);

/** The rows to run: --only's (all when absent) less --skip's; a slug that names no row is refused. */
function pickRows(tables: readonly AblationTable[], only?: string, skip?: string): (slug: string) => boolean {
  const onlySet = only ? new Set(only.split(",")) : undefined;
  const skipSet = new Set(skip ? skip.split(",") : []);
  const slugs = new Set(tables.flatMap((table) => table.rows.map((row) => row.slug)));
  const unknown = [...(onlySet ?? []), ...skipSet].filter((slug) => !slugs.has(slug));
  if (unknown.length > 0) throw new Error(`no row ${unknown.join(", ")}; the rows: ${[...slugs].join(", ")}`);
  return (slug) => !skipSet.has(slug) && (!onlySet || onlySet.has(slug));
}

interface RowRunOptions {
  base: TrainConfig;
  /** Head settings given on the line or in --config: they hold for every row. */
  explicit: ReadonlySet<HeadDefaultKey>;
  runsDir: string;
  wanted: (slug: string) => boolean;
  reuse: boolean;
}

/** A row with the run that stands for it, when an earlier one may. */
interface PlannedRow {
  row: AblationRow;
  config: TrainConfig;
  /** The finished run read instead of training (--reuse, or a row not picked), trained with `config`. */
  saved?: RunResult;
  /** How a finished run that may not stand for the row was trained otherwise (empty when none). */
  differences: string[];
}

/**
 * Each row's configuration and the finished run that may stand in for it. A row not picked is shown
 * from its folder only when that run had the row's configuration; one trained otherwise is refused,
 * before anything trains, rather than mixed into a report it does not belong to.
 */
async function planRows(tables: readonly AblationTable[], o: RowRunOptions): Promise<PlannedRow[]> {
  const planned: PlannedRow[] = [];
  for (const row of tables.flatMap((table) => table.rows)) {
    const out = join(o.runsDir, row.slug);
    const config: TrainConfig = { ...rowConfig(o.base, row, o.explicit), out, resume: false };
    const wanted = o.wanted(row.slug);
    const found = o.reuse || !wanted ? await readSavedRun(out) : undefined;
    const differences = found ? configDifferences(found.config, config) : [];
    planned.push({ row, config, differences, ...(found && differences.length === 0 ? { saved: found } : {}) });
  }
  const stale = planned.filter((p) => !o.wanted(p.row.slug) && p.differences.length > 0);
  if (stale.length > 0)
    throw new Error(
      `rows left out by --only/--skip have runs in ${o.runsDir} trained with other settings than these: ${stale.map((p) => `${p.row.slug} (${p.differences.join(", ")})`).join("; ")}; train them again (name them in --only, or take them out of --skip) or pass another --runs`,
    );
  return planned;
}

/**
 * Trains each wanted row (or reads its finished run.json with --reuse, or when the row is not wanted,
 * where it was trained with the row's configuration); returns the runs by slug and the slugs read.
 */
async function runRows(
  tables: readonly AblationTable[],
  o: RowRunOptions,
): Promise<{ results: Map<string, RunResult>; reused: Set<string> }> {
  const planned = await planRows(tables, o);
  const progress = createProgress();
  const results = new Map<string, RunResult>();
  const reused = new Set<string>();
  try {
    for (const { row, config, saved, differences } of planned) {
      if (saved) {
        results.set(row.slug, saved);
        reused.add(row.slug);
        continue;
      }
      if (!o.wanted(row.slug)) continue;
      progress.log(`== ${row.slug}: ${row.label}`);
      if (differences.length > 0)
        progress.log(
          `   its earlier run was trained with other settings (${differences.join(", ")}); training it again`,
        );
      const run = await runTraining(config, {
        log: progress.log,
        onStage: progress.stage,
        onEpoch: (r, epochs) => progress.epoch(r.epoch, epochs, `${row.slug} macro-F1 ${r.valMacroF1.toFixed(3)}`),
      });
      // log() clears the bar before the line.
      progress.log(
        `   accuracy ${run.evaluation.metrics.accuracy.toFixed(3)}, macro-F1 ${run.evaluation.metrics.macroF1.toFixed(3)} (epoch ${run.bestEpoch}, ${run.trainSeconds.toFixed(0)} s training)`,
      );
      results.set(row.slug, run);
    }
    return { results, reused };
  } finally {
    progress.stop();
  }
}

async function main() {
  program.parse();
  const flags = program.opts();
  const fromCli = (key: string) => program.getOptionValueSource(key) === "cli";
  const configFile = await trainConfigFile(flags);
  const base = await configFromFlags(flags, fromCli, configFile);
  const cliKey: Record<HeadDefaultKey, string> = { epochs: "epochs", batchSize: "batchSize", learningRate: "lr" };
  const explicit = new Set(HEAD_DEFAULT_KEYS.filter((key) => fromCli(cliKey[key]) || configFile[key] !== undefined));
  const backbones = (flags.backbones as string).split(",").map((s) => s.trim());
  const tables = ablationPlan(flags.methodsBackbone as string, backbones, flags.bestAugmentCopies as number);
  const wanted = pickRows(tables, flags.only as string | undefined, flags.skip as string | undefined);
  const started = performance.now();
  const { results, reused } = await runRows(tables, {
    base,
    explicit,
    runsDir: resolve(flags.runs as string),
    wanted,
    reuse: Boolean(flags.reuse),
  });
  const minutes = (performance.now() - started) / 60000;
  const file = await writeAblationReport(resolve(flags.out as string), {
    tables,
    results,
    reused,
    base,
    command: rerunCommand(process.argv.slice(2)),
  });
  console.log(`ablation report written to ${file} (${minutes.toFixed(1)} min)`);
}

runMain("ablation", main);
