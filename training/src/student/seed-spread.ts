/**
 * How much a student configuration's val numbers move with the seed alone. Val has 507 images and
 * 3 of one class, so one run's figures say little; the spread over seeds says how much of a gap
 * between two configurations (or between val and an unseen test split) is noise.
 */

import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { parseJsonFrom } from "../fs/parse-json.js";

export interface SeedRun {
  run: string;
  seed: number;
  /**
   * The exported weights' float32 val logits, temperature-calibrated: the fine-tuned row (the
   * pipeline's last) when the tail was fine-tuned, else the frozen-backbone head's (its first).
   */
  float32: { accuracy: number; macroF1: number };
  /** The exported folder evaluated as the PWA runs it. */
  exported: { accuracy: number; macroF1: number; ece: number };
  perClassF1: Record<string, number>;
}

export interface Spread {
  mean: number;
  /** Sample standard deviation (n − 1); 0 for a single run. */
  sd: number;
  min: number;
  max: number;
}

/**
 * What seed-spread reads of a student run's summary.json (pipeline.ts `StudentSummary`); `finetuned`
 * is absent from summaries written before fine-tuning existed. The config is kept whole, for
 * `runSetup` to check that the runs of a group differ only in seed, though only its seed is typed
 * (older summaries hold fields the current config no longer has).
 */
const SummaryFieldsSchema = z.object({
  config: z.looseObject({ seed: z.number() }).transform((config): { seed: number } => config),
  ablation: z.array(z.object({ accuracy: z.number(), macroF1: z.number() })),
  finetuned: z.boolean().optional(),
  exported: z.object({
    evaluation: z.object({
      accuracy: z.number(),
      macroF1: z.number(),
      ece: z.number(),
      perClass: z.record(z.string(), z.object({ f1: z.number() })),
    }),
  }),
});

export type SummaryFields = z.infer<typeof SummaryFieldsSchema>;

/** The fields of `file`'s text, or an error naming the file and what is wrong with it. */
export function parseSummary(file: string, text: string): SummaryFields {
  const parsed = SummaryFieldsSchema.safeParse(parseJsonFrom(file, text));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message));
    throw new Error(`${file} is not an \`npm run student\` summary: ${problems.join("; ")}`);
  }
  return parsed.data;
}

export function seedRunFrom(run: string, summary: SummaryFields): SeedRun {
  const chosen = summary.finetuned ? summary.ablation.at(-1) : summary.ablation[0];
  if (!chosen) throw new Error(`${run}: summary.json has no ablation rows`);
  const ev = summary.exported.evaluation;
  return {
    run,
    seed: summary.config.seed,
    float32: { accuracy: chosen.accuracy, macroF1: chosen.macroF1 },
    exported: { accuracy: ev.accuracy, macroF1: ev.macroF1, ece: ev.ece },
    perClassF1: Object.fromEntries(Object.entries(ev.perClass).map(([c, m]) => [c, m.f1])),
  };
}

/**
 * Config fields that may differ between runs of one group: the seed, and where the run read and wrote
 * (the same photos may be cached or copied elsewhere). The classes the run was trained on are compared
 * instead of its data paths, so a leave-one-class-out fold never joins a group of full runs.
 */
const NOT_COMPARED = ["seed", "out", "train", "val", "cache"];

/** What should be equal across the runs of a group: the config less `NOT_COMPARED`. */
function runSetup(summary: SummaryFields): Record<string, unknown> {
  return Object.fromEntries(Object.entries(summary.config).filter(([key]) => !NOT_COMPARED.includes(key)));
}

const classesOf = (summary: SummaryFields) => Object.keys(summary.exported.evaluation.perClass).sort();

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/** The dotted path of the first key whose values differ (objects compared key by key), if any. */
function firstDifference(a: unknown, b: unknown, path = ""): string | undefined {
  if (!isRecord(a) || !isRecord(b)) return JSON.stringify(a) === JSON.stringify(b) ? undefined : path;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const found = firstDifference(a[key], b[key], path ? `${path}.${key}` : key);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Refuses a group whose runs were trained on other classes (their figures are not comparable at
 * all); returns a warning naming the first config key that differs when they differ in more than
 * the seed. Only a warning: runs written by older versions name some fields differently (e.g.
 * `teacherBackbone`), and such a group is still worth tabling once the reader knows.
 */
export function checkSameSetup(
  group: string,
  runs: readonly { run: string; summary: SummaryFields }[],
): string | undefined {
  const [first, ...rest] = runs;
  if (!first) return undefined;
  const describe = (key: string, a: unknown, b: unknown, other: string) => {
    const valueIn = (setup: unknown) =>
      JSON.stringify(key.split(".").reduce((x, k) => (isRecord(x) ? x[k] : undefined), setup)) ?? "absent";
    return `group "${group}": ${first.run} and ${other} differ in ${key} (${valueIn(a)} vs ${valueIn(b)})`;
  };
  const classes = { classes: classesOf(first.summary) };
  for (const other of rest) {
    const otherClasses = { classes: classesOf(other.summary) };
    if (firstDifference(classes, otherClasses) !== undefined)
      throw new Error(
        `${describe("classes", classes, otherClasses, other.run)}; runs of a group must share their classes`,
      );
  }
  const setup = runSetup(first.summary);
  for (const other of rest) {
    const otherSetup = runSetup(other.summary);
    const key = firstDifference(setup, otherSetup);
    if (key !== undefined) return `${describe(key, setup, otherSetup, other.run)}; its spread is not the seed's alone`;
  }
  return undefined;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new RangeError("no values");
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = values.length > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, sd, min: Math.min(...values), max: Math.max(...values) };
}

const COLUMNS: { title: string; of: (r: SeedRun) => number }[] = [
  { title: "float32 accuracy", of: (r) => r.float32.accuracy },
  { title: "float32 macro-F1", of: (r) => r.float32.macroF1 },
  { title: "exported accuracy", of: (r) => r.exported.accuracy },
  { title: "exported macro-F1", of: (r) => r.exported.macroF1 },
  { title: "exported ECE", of: (r) => r.exported.ece },
];

/** One table per group: a row per run, then mean ± sd and the range. */
export function seedSpreadMarkdown(groups: readonly { name: string; runs: readonly SeedRun[] }[]): string {
  const f3 = (x: number) => x.toFixed(3);
  const header = `| run | seed | ${COLUMNS.map((c) => c.title).join(" | ")} |`;
  const rule = `|---|---:|${COLUMNS.map(() => "---:").join("|")}|`;
  return groups
    .map(({ name, runs }) => {
      const stats = COLUMNS.map((c) => spread(runs.map(c.of)));
      return [
        `#### ${name} (${runs.length} run${runs.length === 1 ? "" : "s"})`,
        "",
        header,
        rule,
        ...runs.map((r) => `| ${r.run} | ${r.seed} | ${COLUMNS.map((c) => f3(c.of(r))).join(" | ")} |`),
        `| **mean ± sd** | | ${stats.map((s) => `**${f3(s.mean)} ± ${f3(s.sd)}**`).join(" | ")} |`,
        `| range | | ${stats.map((s) => `${f3(s.min)}–${f3(s.max)}`).join(" | ")} |`,
      ].join("\n");
    })
    .join("\n\n");
}

/** Whether `text` is what `--json` writes: groups, each with its name and runs. */
export function isSeedSpreadOutput(text: string): boolean {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return false;
  }
  return z
    .array(z.object({ name: z.string(), runs: z.array(z.object({ run: z.string(), seed: z.number() })) }))
    .safeParse(json).success;
}

export const SEED_SPREAD_USAGE =
  "usage: npm run seed-spread -- --group NAME RUN_DIR... [--group NAME RUN_DIR...] [--json FILE]";

export interface SeedSpreadArgs {
  /** --help or -h was given (anywhere); nothing else is checked then. */
  help: boolean;
  /** In command-line order, each with its run folders in order. */
  groups: { name: string; dirs: string[] }[];
  json?: string;
}

/**
 * The seed-spread command line: each positional RUN_DIR belongs to the --group before it. parseArgs
 * runs non-strict so that the errors below (not Node's generic ones) name what is wrong.
 */
export function seedSpreadArgs(argv: readonly string[]): SeedSpreadArgs {
  const { tokens } = parseArgs({
    args: [...argv],
    strict: false,
    allowPositionals: true,
    tokens: true,
    options: {
      group: { type: "string", multiple: true },
      json: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (tokens.some((t) => t.kind === "option" && t.name === "help")) return { help: true, groups: [] };
  const usageError = (message: string) => new Error(`${message}\n${SEED_SPREAD_USAGE}`);
  const groups: { name: string; dirs: string[] }[] = [];
  let json: string | undefined;
  for (const token of tokens) {
    if (token.kind === "option-terminator") continue;
    if (token.kind === "positional") {
      const group = groups.at(-1);
      if (!group) throw usageError(`run folder ${token.value} comes before any --group`);
      group.dirs.push(token.value);
    } else if (token.name === "group" || token.name === "json") {
      // Non-strict parseArgs takes the next argument as the value even when it is another flag.
      const value = token.value;
      if (!value || (!token.inlineValue && value.startsWith("--"))) throw usageError(`${token.rawName} needs a value`);
      if (token.name === "json") json = value;
      else groups.push({ name: value, dirs: [] });
    } else throw usageError(`unknown flag ${token.rawName}`);
  }
  const empty = groups.find((g) => g.dirs.length === 0);
  if (empty) throw usageError(`group "${empty.name}" has no runs`);
  for (const { name, dirs } of groups) {
    const twice = dirs.find((dir, i) => dirs.findIndex((d) => resolve(d) === resolve(dir)) !== i);
    if (twice !== undefined) throw usageError(`group "${name}" lists ${twice} twice`);
  }
  if (groups.length === 0) throw new Error(SEED_SPREAD_USAGE);
  return { help: false, groups, ...(json ? { json } : {}) };
}
