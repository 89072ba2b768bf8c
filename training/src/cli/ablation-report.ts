/** Writes the ablation's report: OUT/ablation.md with an SVG chart per table and the chosen rows' confusion matrices and curves. */
import { mkdir, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { reportMarkdown } from "../metrics/index.js";
import { confusionSvg, lineChartSvg } from "../report/svg.js";
import type { TrainConfig } from "../train/config.js";
import type { RunResult } from "../train/run.js";
import { DARKNET_REWEIGHT_NOTE } from "./ablation-notes.js";
import type { AblationTable } from "./ablation-plan.js";

export interface AblationReport {
  tables: readonly AblationTable[];
  /** Each finished row's run, by slug, in the order the rows ran. */
  results: ReadonlyMap<string, RunResult>;
  /** The slugs of rows read from an earlier invocation's run folder instead of trained by this one. */
  reused: ReadonlySet<string>;
  base: TrainConfig;
  /** The command line that reruns every row (see `rerunCommand`). */
  command: string;
}

// Staging flags (--only, --skip, --reuse) pick rows; the command without them reruns every row.
const STAGING_FLAGS = new Set(["--only", "--skip", "--reuse"]);

/** `npm run ablation -- ARGS` with the staging flags and their values left out (`--only x` and `--only=x` alike). */
export function rerunCommand(args: readonly string[]): string {
  const flagOf = (arg: string) => arg.split("=", 1)[0] as string;
  const takesValue = (arg: string | undefined) => arg === "--only" || arg === "--skip";
  const kept = args.filter((arg, i) => !STAGING_FLAGS.has(flagOf(arg)) && !takesValue(args[i - 1]));
  return `npm run ablation -- ${kept.join(" ")}`;
}

const f2 = (x: number) => x.toFixed(2);

/** Marks a reused row's label in the tables. */
const REUSED_MARK = " †";

/** Writes OUT/ablation.md and its pictures under OUT/ablation/; returns the Markdown file's path. */
export async function writeAblationReport(outDir: string, report: AblationReport): Promise<string> {
  await mkdir(join(outDir, "ablation"), { recursive: true });
  const { tables, results, reused } = report;
  const md = [...introduction(report)];
  const bestSlug = await pushTables(md, outDir, tables, results, reused);
  const plotted = [tables[1]?.rows[0]?.slug, bestSlug].filter((s): s is string => !!s && results.has(s));
  md.push("## Confusion matrices and training curves", "");
  for (const slug of new Set(plotted)) await pushPlots(md, outDir, slug, tables, results.get(slug) as RunResult);
  md.push(...provenance(report));
  const file = join(outDir, "ablation.md");
  await writeFile(file, `${md.join("\n")}\n`);
  return file;
}

function introduction({ results, reused, base, command }: AblationReport): string[] {
  const rowSeconds = (key: "embedSeconds" | "trainSeconds") => [...results.values()].reduce((t, r) => t + r[key], 0);
  /** "name: lr …, batch …, up to … epochs" for each first backbone among the rows run. */
  const headSettings = [
    ...new Set(
      [...results.values()].map(
        ({ config: c }) => `${c.backbones[0]}: lr ${c.learningRate}, batch ${c.batchSize}, up to ${c.epochs} epochs`,
      ),
    ),
  ].join("; ");
  return [
    "# Ablation: the seed report's tables, rerun with pifu's training engine",
    "",
    `Command: \`${command}\``,
    "",
    ...(reused.size > 0
      ? [
          `Rows marked${REUSED_MARK} (${reused.size} of ${results.size}) were not trained by the invocation that wrote this report: their finished runs from an earlier one, trained with the same settings, were read from their run folders (${[...reused].join(", ")}).`,
          "",
        ]
      : []),
    `Seed ${base.seed}; backend ${[...results.values()][0]?.backend ?? base.backend}; Adam with cosine annealing to ${base.minLearningRate}; learning rate, batch and epochs are each backbone's head defaults from the registry unless given on the command line (rows whose first backbone is ${headSettings}); early stopping after ${base.patience} epochs without a better validation macro-F1, and the epoch with the best validation macro-F1 kept. Frozen backbones; features cached, so a rerun trains heads only. Summed over the rows${reused.size > 0 ? ` (rows marked${REUSED_MARK} with the times of their earlier runs)` : ""}: ${(rowSeconds("embedSeconds") / 60).toFixed(1)} min embedding (only what was not yet in the feature cache) and ${(rowSeconds("trainSeconds") / 60).toFixed(1)} min head training, on a 2-core machine shared with other jobs.`,
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
}

/** Each table with rows that ran: its Markdown, its macro-F1 chart; returns the best row's slug (accuracy + macro-F1). */
async function pushTables(
  md: string[],
  outDir: string,
  tables: readonly AblationTable[],
  results: ReadonlyMap<string, RunResult>,
  reused: ReadonlySet<string>,
): Promise<string> {
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
        `| ${row.label}${reused.has(row.slug) ? REUSED_MARK : ""} | ${f2(m.accuracy)} | ${f2(m.macroF1)} | ${f2(m.weightedF1)} | ${f2(m.top3Accuracy)} | ${m.ece.toFixed(3)} | ${r.bestEpoch} |`,
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
  return bestSlug;
}

/** One row's confusion matrix and training curves, and its per-source table. */
async function pushPlots(
  md: string[],
  outDir: string,
  slug: string,
  tables: readonly AblationTable[],
  r: RunResult,
): Promise<void> {
  const label = tables.flatMap((t) => t.rows).find((row) => row.slug === slug)?.label ?? slug;
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

function provenance({ results, base }: AblationReport): string[] {
  const runs = [...results.values()];
  const anyRun = runs[0];
  if (!anyRun) return [];
  const shown = (path: string) => relative(process.cwd(), resolve(path));
  return [
    "## Provenance",
    "",
    ...new Set(runs.flatMap((r) => r.config.backbones.map((b, i) => `- ${b}: sha256 ${r.backboneSha256[i]}`))),
    `- data: ${shown(base.data)} (${anyRun.trainImages} images used), val ${base.val ? shown(base.val) : `${base.valFraction} held out`} (${anyRun.valImages})`,
    `- skipped files: ${anyRun.skipped.length}`,
    "",
  ];
}
