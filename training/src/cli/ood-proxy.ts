/**
 * npm run ood-proxy -- [--cache DIR] [--held-out IDS] [--json FILE] [--md FILE]
 * Leave-one-class-out proxy for the unsure score's AUROC against other conditions, on cached skin8
 * activations, with the shipped student configuration.
 */

import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { type FlipVariant, SKIN8_CLASS_IDS, UnsureRuleSchema } from "@pifu/core";
import { runMain } from "@pifu/core/cli";
import { Command } from "commander";
import { z } from "zod";
import { initBackend } from "../backend/index.js";
import { parseJsonFrom } from "../fs/parse-json.js";
import { writeFileAtomicSync } from "../fs/write-atomic.js";
import { DEFAULT_STUDENT_CONFIG, type StudentConfig } from "../student/config.js";
import { loadSplit } from "../student/data.js";
import {
  type HeldOutResult,
  kdDescription,
  type OodProxyResult,
  runOodProxy,
  summarizeFolds,
} from "../student/ood-proxy.js";
import { oodProxyMarkdown } from "../student/ood-proxy-report.js";
import { validateStudentConfig } from "../student/validate-config.js";
import { inputSizeOption, num, teacherBackboneOption, ttaFlipsOption } from "./parse.js";

const d = DEFAULT_STUDENT_CONFIG;

const program = new Command()
  .name("ood-proxy")
  .description(
    "For each skin8 class: train the shipped student head configuration without it (teachers included), fit T on the other classes' val images, and report how well each unsure score tells that class's images from the others' val images (AUROC, unsure rates at the shipped coverage).",
  )
  .option("--cache <dir>", `cached activations of skin8 train and val (default ${d.cache})`)
  .addOption(inputSizeOption(d.inputSize))
  .addOption(ttaFlipsOption(d.testTimeFlips))
  .option("--held-out <ids>", "comma-separated class ids to hold out, one fold each (default: all 8)")
  .option("--seed <n>", `seed (default ${d.seed})`, num("seed"))
  .option("--coverage <c>", `share of in-val images answered (default ${d.unsure.coverage})`, num("coverage"))
  .option("--no-kd", "train the student heads without distillation (no teachers)")
  .addOption(teacherBackboneOption(d.teacherBackbones))
  .option("--shipped-card <file>", "model card whose unsure score is the shipped one", "models/default/model-card.json")
  .option("--json <file>", "write the full result as JSON here, after every fold (a new file: never overwritten)")
  .option("--md <file>", "write the Markdown tables here")
  .option(
    "--combine <files...>",
    "train nothing: merge the folds of earlier --json results (e.g. runs split over two processes); takes only --json, --md and --shipped-card besides",
  )
  .showHelpAfterError();

interface Flags {
  cache?: string;
  inputSize?: number;
  ttaFlips?: FlipVariant[];
  heldOut?: string;
  seed?: number;
  coverage?: number;
  kd: boolean;
  teacherBackbone?: string[];
  shippedCard: string;
  json?: string;
  md?: string;
  combine?: string[];
}

type SavedResult = OodProxyResult & { command: string; shippedScore: string; config: unknown };

/** What a saved run must hold for --combine to merge it (its folds are read as written). */
const SavedResultSchema = z.looseObject({
  command: z.string(),
  kd: z.string(),
  seed: z.number(),
  coverage: z.number(),
  folds: z.array(z.looseObject({ heldOut: z.enum(SKIN8_CLASS_IDS) })),
});

/** The flags --combine reads; every other one configures training, which --combine does not do. */
const COMBINE_FLAGS = ["--combine", "--json", "--md", "--shipped-card"];

function parseHeldOut(value: string | undefined): number[] {
  if (value === undefined) return SKIN8_CLASS_IDS.map((_, c) => c);
  const indices: number[] = [];
  for (const listed of value.split(",")) {
    const id = listed.trim();
    const index = SKIN8_CLASS_IDS.indexOf(id);
    if (index < 0) throw new Error(`--held-out: unknown class "${id}"; valid: ${SKIN8_CLASS_IDS.join(", ")}`);
    if (indices.includes(index)) throw new Error(`--held-out lists ${id} twice; each class is one fold`);
    indices.push(index);
  }
  return indices;
}

async function shippedScore(file: string) {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new Error(`cannot read the shipped card ${file}: ${(error as Error).message}`);
  }
  const card = parseJsonFrom(file, text) as { unsure?: unknown } | null;
  const unsure = UnsureRuleSchema.safeParse(card?.unsure);
  if (!unsure.success) throw new Error(`${file} has no valid unsure rule: ${unsure.error.message}`);
  return unsure.data.score;
}

/** An ood-proxy --json output, or an error naming the file. */
async function readSaved(file: string): Promise<SavedResult> {
  const notOurs = (why: string) => new Error(`--combine ${file} is not an ood-proxy --json output: ${why}`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw notOurs((error as Error).message);
  }
  const parsed = SavedResultSchema.safeParse(json);
  if (!parsed.success) {
    throw notOurs(parsed.error.issues.map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`).join("; "));
  }
  return json as SavedResult;
}

/** Folds of several saved runs of the same configuration, in class order, summarised afresh. */
async function combine(files: string[]): Promise<{ result: OodProxyResult; commands: string[]; config: unknown }> {
  const runs = await Promise.all(files.map(readSaved));
  const [first] = runs;
  if (!first) throw new Error("--combine needs at least one file");
  for (const [i, run] of runs.entries()) {
    if (JSON.stringify(run.config) !== JSON.stringify(first.config) || run.kd !== first.kd)
      throw new Error(`${files[i]} was run with another configuration than ${files[0]}`);
  }
  const byClass = new Map<string, { fold: HeldOutResult; file: string }>();
  for (const [i, run] of runs.entries()) {
    const file = files[i] as string;
    for (const fold of run.folds) {
      const earlier = byClass.get(fold.heldOut);
      if (earlier !== undefined)
        throw new Error(`--combine: the ${fold.heldOut} fold is in both ${earlier.file} and ${file}; keep one of them`);
      byClass.set(fold.heldOut, { fold, file });
    }
  }
  const folds = SKIN8_CLASS_IDS.flatMap((id) => byClass.get(id)?.fold ?? []);
  return {
    result: {
      seed: first.seed,
      coverage: first.coverage,
      kd: first.kd,
      folds,
      ...summarizeFolds(folds),
    },
    commands: runs.map((r) => r.command),
    config: first.config,
  };
}

/** Refuses flags --combine would otherwise ignore: a run asked for them and would not get them. */
function rejectUnusedUnderCombine(): void {
  const unused = program.options
    .filter(
      (o) => o.long && !COMBINE_FLAGS.includes(o.long) && program.getOptionValueSource(o.attributeName()) === "cli",
    )
    .map((o) => o.long);
  if (unused.length > 0)
    throw new Error(
      `--combine trains nothing, so ${unused.join(", ")} would be ignored: drop ${unused.length === 1 ? "it" : "them"} (the folds keep the settings they were run with)`,
    );
}

async function main(): Promise<void> {
  program.parse();
  const f = program.opts<Flags>();
  if (f.combine) rejectUnusedUnderCombine();
  const heldOut = parseHeldOut(f.heldOut);
  // Saved after every fold: overwriting an earlier run's file would lose its folds at the first one.
  if (f.json !== undefined && existsSync(f.json))
    throw new Error(`--json ${f.json} already exists; move it away or choose another file (it is never overwritten)`);
  const shipped = await shippedScore(f.shippedCard);
  const save = (result: OodProxyResult, extra: Record<string, unknown>) => {
    if (f.json)
      writeFileAtomicSync(f.json, `${JSON.stringify({ ...extra, shippedScore: shipped, ...result }, null, 2)}\n`);
  };
  if (f.combine) {
    const { result, commands, config } = await combine(f.combine);
    const markdown = oodProxyMarkdown(result, shipped);
    console.log(markdown);
    // No wall time: the runs combined may have overlapped.
    save(result, { command: commands.join(" && "), config });
    if (f.md) writeFileAtomicSync(f.md, `${markdown}\n`);
    return;
  }
  const teacherBackbones = f.kd ? (f.teacherBackbone ?? d.teacherBackbones) : [];
  const config: StudentConfig = {
    ...d,
    train: "skin8 train (cached)",
    val: "skin8 val (cached)",
    out: "",
    cache: f.cache ?? d.cache,
    inputSize: f.inputSize ?? d.inputSize,
    testTimeFlips: f.ttaFlips ?? d.testTimeFlips,
    seed: f.seed ?? d.seed,
    teacherBackbones,
    teacher: { ...d.teacher, features: teacherBackbones.length > 0 ? "concat" : "student" },
    kd: f.kd ? d.kd : null,
    unsure: { ...d.unsure, coverage: f.coverage ?? d.unsure.coverage },
    ablation: false,
  };
  validateStudentConfig(config);
  const log = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  await initBackend("wasm", log);
  const train = await loadSplit(config.cache, "train", teacherBackbones, config.inputSize);
  const val = await loadSplit(config.cache, "val", teacherBackbones, config.inputSize);
  log(`train ${train.labels.length} images, val ${val.labels.length}; ${heldOut.length} fold(s)`);
  const started = Date.now();
  const extra = () => ({
    command: `npm run ood-proxy -- ${process.argv.slice(2).join(" ")}`.trim(),
    // Wall time with the 1-minute load average beside it: on a shared machine the two go together.
    seconds: Math.round((Date.now() - started) / 1000),
    loadAverage: Number(loadavg()[0]?.toFixed(2)),
    config: { ...config, train: undefined, val: undefined, out: undefined },
  });
  const done: HeldOutResult[] = [];
  const result = runOodProxy({
    config,
    train,
    val,
    classIds: SKIN8_CLASS_IDS,
    heldOut,
    log,
    // Saved after every fold, so a long run that is stopped keeps what it finished.
    onFold: (fold) => {
      done.push(fold);
      save(
        {
          seed: config.seed,
          coverage: config.unsure.coverage,
          kd: kdDescription(config),
          folds: done,
          ...summarizeFolds(done),
        },
        extra(),
      );
    },
  });
  log(`${heldOut.length} fold(s) in ${extra().seconds} s`);
  const markdown = oodProxyMarkdown(result, shipped);
  console.log(markdown);
  save(result, extra());
  if (f.md) writeFileAtomicSync(f.md, `${markdown}\n`);
}

runMain("ood-proxy", main);
