/**
 * npm run seed-spread -- --group NAME RUN_DIR... [--group NAME RUN_DIR...] [--json FILE]
 * Tables the val numbers of student runs (each a `npm run student` output folder with summary.json)
 * that differ only in --seed: mean ± sd and range per group.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { runMain } from "@pifu/core/cli";
import { prepareOutputFile } from "../fs/output-file.js";
import { writeFileAtomicSync } from "../fs/write-atomic.js";
import {
  checkSameSetup,
  isSeedSpreadOutput,
  parseSummary,
  SEED_SPREAD_USAGE,
  type SummaryFields,
  seedRunFrom,
  seedSpreadArgs,
  seedSpreadMarkdown,
} from "../student/seed-spread.js";

async function readSummary(dir: string): Promise<SummaryFields> {
  const file = join(dir, "summary.json");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new Error(`${dir} has no summary.json (is it an \`npm run student\` output folder?)`);
  }
  return parseSummary(file, text);
}

async function main() {
  const { help, groups, json } = seedSpreadArgs(process.argv.slice(2));
  if (help) {
    console.log(
      `${SEED_SPREAD_USAGE}\nEach RUN_DIR is an \`npm run student\` output folder (summary.json); the runs of one group should differ only in --seed (their configs are compared: other classes are refused, any other difference is warned about). --json FILE: a new file or an earlier seed-spread output, outside the run folders.`,
    );
    return;
  }
  if (json) {
    // Before any work: never inside a run folder read here, and never over a file but an earlier seed-spread output.
    const runs = groups.flatMap((g) => g.dirs).map((path) => ({ flag: "the run folder", path }));
    await prepareOutputFile("--json", json, runs);
    if (existsSync(json) && !isSeedSpreadOutput(await readFile(json, "utf8")))
      throw new Error(`--json ${json} exists and is not an earlier seed-spread output; refusing to overwrite it`);
  }
  const tables = await Promise.all(
    groups.map(async (g) => {
      const runs = await Promise.all(g.dirs.map(async (run) => ({ run, summary: await readSummary(run) })));
      const warning = checkSameSetup(g.name, runs);
      if (warning) console.error(`seed-spread: warning: ${warning}`);
      return { name: g.name, runs: runs.map(({ run, summary }) => seedRunFrom(run, summary)) };
    }),
  );
  if (json) writeFileAtomicSync(json, `${JSON.stringify(tables, null, 2)}\n`);
  console.log(seedSpreadMarkdown(tables));
}

runMain("seed-spread", main);
