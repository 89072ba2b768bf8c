/** npm run ablation -- --data DIR --val DIR --out DIR: reruns the seed report's tables (see --help). */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { Command } from "commander";
import { reportMarkdown } from "../metrics/index.js";
import { confusionSvg, lineChartSvg } from "../report/svg.js";
import { type RunResult, runTraining } from "../train/run.js";
import { DARKNET_REWEIGHT_NOTE } from "./ablation-notes.js";
import {
  type AblationTable,
  ablationPlan,
  HEAD_DEFAULT_KEYS,
  type HeadDefaultKey,
  rowConfig,
} from "./ablation-plan.js";
import { orExit } from "./parse.js";
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
    .option("--runs <dir>", "where each row's run folder goes (default runs/ablation)", "runs/ablation")
    .option("--backbones <names>", "backbones to compare, comma-separated", "mobilenet_v2_0.35,darknet_tiny")
    .option("--methods-backbone <name>", "backbone for the methods table", "mobilenet_v2_0.35")
    .option("--best-augment-copies <n>", "augmented training copies for the stronger-models table", "1")
    .option("--only <slugs>", "run only these rows (comma-separated slugs)")
    .option("--skip <slugs>", "leave out these rows (comma-separated slugs)")
    .option("--reuse", "reuse a row's finished run.json instead of training it again")
    .showHelpAfterError(),
  false,
);
program.parse();
const flags = program.opts();
const fromCli = (key: string) => program.getOptionValueSource(key) === "cli";
const configFile = await orExit("ablation", trainConfigFile(flags));
const base = await orExit("ablation", configFromFlags(flags, fromCli, configFile));
// Head settings given on the line or in --config hold for every row; the rest follow each row's backbone.
const cliKey: Record<HeadDefaultKey, string> = { epochs: "epochs", batchSize: "batchSize", learningRate: "lr" };
const explicit = new Set(HEAD_DEFAULT_KEYS.filter((key) => fromCli(cliKey[key]) || configFile[key] !== undefined));
const outDir = resolve(flags.out as string);
const runsDir = resolve(flags.runs as string);
const backbones = (flags.backbones as string).split(",").map((s) => s.trim());
const only = flags.only ? new Set((flags.only as string).split(",")) : undefined;
const skip = new Set(flags.skip ? (flags.skip as string).split(",") : []);
const tables = ablationPlan(flags.methodsBackbone as string, backbones, Number(flags.bestAugmentCopies));
const slugs = new Set(tables.flatMap((table) => table.rows.map((row) => row.slug)));
const unknownSlugs = [...(only ?? []), ...skip].filter((slug) => !slugs.has(slug));
if (unknownSlugs.length > 0) {
  console.error(`ablation: no row ${unknownSlugs.join(", ")}; the rows: ${[...slugs].join(", ")}`);
  process.exit(1);
}
const started = performance.now();
const progress = createProgress();
const results = new Map<string, RunResult>();

for (const table of tables) {
  for (const row of table.rows) {
    const out = join(runsDir, row.slug);
    const wanted = !skip.has(row.slug) && (!only || only.has(row.slug));
    if ((flags.reuse || !wanted) && existsSync(join(out, "run.json"))) {
      results.set(row.slug, {
        ...(JSON.parse(await readFile(join(out, "run.json"), "utf8")) as RunResult),
        outDir: out,
      });
      continue;
    }
    if (!wanted) continue;
    progress.log(`== ${row.slug}: ${row.label}`);
    const run = await orExit(
      "ablation",
      runTraining(
        { ...rowConfig(base, row, explicit), out, resume: false },
        {
          log: progress.log,
          onStage: progress.stage,
          onEpoch: (r, epochs) => progress.epoch(r.epoch, epochs, `${row.slug} macro-F1 ${r.valMacroF1.toFixed(3)}`),
        },
      ),
    );
    progress.stop();
    progress.log(
      `   accuracy ${run.evaluation.metrics.accuracy.toFixed(3)}, macro-F1 ${run.evaluation.metrics.macroF1.toFixed(3)} (epoch ${run.bestEpoch}, ${run.trainSeconds.toFixed(0)} s training)`,
    );
    results.set(row.slug, run);
  }
}
const minutes = (performance.now() - started) / 60000;
const rowSeconds = (key: "embedSeconds" | "trainSeconds") => [...results.values()].reduce((t, r) => t + r[key], 0);

const f2 = (x: number) => x.toFixed(2);
/** "name: lr …, batch …, up to … epochs" for each first backbone among the rows run. */
const headSettings = () =>
  [
    ...new Set(
      [...results.values()].map(
        ({ config: c }) => `${c.backbones[0]}: lr ${c.learningRate}, batch ${c.batchSize}, up to ${c.epochs} epochs`,
      ),
    ),
  ].join("; ");
// Staging flags (--only, --skip, --reuse) pick rows; the command without them reruns every row.
const stagingFlags = new Set(["--only", "--skip", "--reuse"]);
const args = process.argv
  .slice(2)
  .filter((a, i, all) => !stagingFlags.has(a) && !(stagingFlags.has(all[i - 1] ?? "") && all[i - 1] !== "--reuse"));
const command = `npm run ablation -- ${args.join(" ")}`;
await mkdir(join(outDir, "ablation"), { recursive: true });
const md: string[] = [
  "# Ablation: the seed report's tables, rerun with pifu's training engine",
  "",
  `Command: \`${command}\``,
  "",
  `Seed ${base.seed}; backend ${[...results.values()][0]?.backend ?? base.backend}; Adam with cosine annealing to ${base.minLearningRate}; learning rate, batch and epochs are each backbone's head defaults from the registry unless given on the command line (rows whose first backbone is ${headSettings()}); early stopping after ${base.patience} epochs without a better validation macro-F1, and the epoch with the best validation macro-F1 kept. Frozen backbones; features cached, so a rerun trains heads only. Summed over the rows: ${(rowSeconds("embedSeconds") / 60).toFixed(1)} min embedding (only what was not yet in the feature cache) and ${(rowSeconds("trainSeconds") / 60).toFixed(1)} min head training, on a 2-core machine shared with other jobs.`,
  "",
  "Heads standardise their input with the training rows' mean and variance (a frozen BatchNormalization layer inside the head, saved with it), so one learning rate suits backbones whose feature scales differ by orders of magnitude.",
  "",
  `Time per row (embedding is 0 when the features came from the cache): ${[...results.entries()].map(([slug, r]) => `${slug} ${r.embedSeconds.toFixed(0)} s + ${r.trainSeconds.toFixed(0)} s`).join("; ")}.`,
  "",
  "Reference figures (skin8 val, frozen backbone + linear head, one run each, from ../shared/backbones/README.md): MobileNetV2-0.35 accuracy 0.66 plain CE / 0.67 re-weighted, macro-F1 0.53 / 0.56; Tiny Darknet 0.68 / 0.70, macro-F1 0.67 / 0.68; both concatenated with an MLP head 0.78 / 0.73.",
  "",
  "Model selection and the reported numbers use the same validation set (as the seed report did), so the numbers are optimistic by the selection effect; the held-out test split is kept apart on purpose. Val has only 3 seborrhoeic-dermatitis images, so macro-F1 moves by up to ~0.1 on one image: read the per-class tables too.",
  "",
];
let bestSlug = "";
let bestScore = -1;
for (const [t, table] of tables.entries()) {
  const rows = table.rows.filter((r) => results.has(r.slug));
  if (rows.length === 0) continue;
  md.push(`## ${t + 1}. ${table.title}`, "", table.note, "");
  md.push(
    "| experiment | accuracy | macro-F1 | weighted-F1 | top-3 | ECE | epoch |",
    "|---|---:|---:|---:|---:|---:|---:|",
  );
  for (const row of rows) {
    const r = results.get(row.slug) as RunResult;
    const m = r.evaluation.metrics;
    md.push(
      `| ${row.label} | ${f2(m.accuracy)} | ${f2(m.macroF1)} | ${f2(m.weightedF1)} | ${f2(m.top3Accuracy)} | ${m.ece.toFixed(3)} | ${r.bestEpoch} |`,
    );
    if (m.macroF1 + m.accuracy > bestScore) {
      bestScore = m.macroF1 + m.accuracy;
      bestSlug = row.slug;
    }
  }
  const chart = `ablation/table${t + 1}-val-macro-f1.svg`;
  await writeFile(
    join(outDir, chart),
    lineChartSvg(
      `${table.title}: validation macro-F1 per epoch`,
      rows.map((row) => ({
        name: row.label,
        values: (results.get(row.slug) as RunResult).history.map((h) => h.valMacroF1),
      })),
      "val macro-F1",
      [0, 1],
    ),
  );
  md.push("", `![validation macro-F1 per epoch](${chart})`, "");
  for (const row of rows) {
    const r = results.get(row.slug) as RunResult;
    md.push(
      `<details><summary>${row.label}: classification report</summary>`,
      "",
      reportMarkdown(r.evaluation.report),
      "",
      "</details>",
      "",
    );
  }
  if (t === 0 && rows.some((row) => row.overrides.backbones?.includes("darknet_tiny")))
    md.push(...DARKNET_REWEIGHT_NOTE);
}

const plotted = [tables[1]?.rows[0]?.slug, bestSlug].filter((s): s is string => !!s && results.has(s));
md.push("## Confusion matrices and training curves", "");
for (const slug of [...new Set(plotted)]) {
  const r = results.get(slug) as RunResult;
  const label = tables.flatMap((t: AblationTable) => t.rows).find((row) => row.slug === slug)?.label ?? slug;
  await writeFile(
    join(outDir, `ablation/${slug}-confusion.svg`),
    confusionSvg(`${label}: validation confusion matrix`, r.evaluation.confusion, r.classes),
  );
  await writeFile(
    join(outDir, `ablation/${slug}-curves.svg`),
    lineChartSvg(
      `${label}: training curves`,
      [
        { name: "train loss", values: r.history.map((h) => h.trainLoss) },
        { name: "val loss (CE)", values: r.history.map((h) => h.valLoss) },
        { name: "val accuracy", values: r.history.map((h) => h.valAccuracy) },
        { name: "val macro-F1", values: r.history.map((h) => h.valMacroF1) },
      ],
      "value",
    ),
  );
  md.push(
    `### ${label}`,
    "",
    `![confusion](ablation/${slug}-confusion.svg) ![curves](ablation/${slug}-curves.svg)`,
    "",
  );
  if (r.evaluation.metrics.perSource) {
    md.push("Per source:", "", "| source | accuracy | macro-F1 (classes present) | support |", "|---|---:|---:|---:|");
    for (const [s, m] of Object.entries(r.evaluation.metrics.perSource))
      md.push(`| ${s} | ${f2(m.accuracy)} | ${f2(m.macroF1)} | ${m.support} |`);
    md.push("");
  }
}
const anyRun = [...results.values()][0];
if (anyRun) {
  md.push(
    "## Provenance",
    "",
    ...[
      ...new Set(
        [...results.values()].flatMap((r) => r.config.backbones.map((b, i) => `- ${b}: sha256 ${r.backboneSha256[i]}`)),
      ),
    ],
    `- data: ${relative(process.cwd(), resolve(base.data))} (${anyRun.trainImages} images used), val ${base.val ? relative(process.cwd(), resolve(base.val)) : `${base.valFraction} held out`} (${anyRun.valImages})`,
    `- skipped files: ${anyRun.skipped.length}`,
    "",
  );
}
await writeFile(join(outDir, "ablation.md"), `${md.join("\n")}\n`);
console.log(`ablation report written to ${join(outDir, "ablation.md")} (${minutes.toFixed(1)} min)`);
