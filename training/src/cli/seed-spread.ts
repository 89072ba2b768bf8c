/**
 * npm run seed-spread -- --group NAME RUN_DIR... [--group NAME RUN_DIR...] [--json FILE]
 * Tables the val numbers of student runs (each a `npm run student` output folder with summary.json)
 * that differ only in --seed: mean ± sd and range per group.
 */
import { existsSync, statSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { runMain } from "@pifu/core/cli";
import { isWithin } from "../fs/replace-folder.js";
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

/**
 * Refuses a --json that would overwrite something else: a file inside a run folder read here, or any
 * existing file but an earlier seed-spread output. Its folder is created now, before any work.
 */
async function prepareJson(json: string, dirs: readonly string[]): Promise<void> {
  const run = dirs.find((dir) => isWithin(json, dir));
  if (run !== undefined) throw new Error(`--json ${json} is inside the run folder ${run}; write it outside the runs`);
  if (existsSync(json)) {
    const earlier = statSync(json).isFile() ? await readFile(json, "utf8") : undefined;
    if (earlier === undefined || !isSeedSpreadOutput(earlier))
      throw new Error(`--json ${json} exists and is not an earlier seed-spread output; refusing to overwrite it`);
  }
  await mkdir(dirname(json), { recursive: true });
}

async function main() {
  const { help, groups, json } = seedSpreadArgs(process.argv.slice(2));
  if (help) {
    console.log(
      `${SEED_SPREAD_USAGE}\nEach RUN_DIR is an \`npm run student\` output folder (summary.json); the runs of one group should differ only in --seed (their configs are compared: other classes are refused, any other difference is warned about). --json FILE: a new file or an earlier seed-spread output, outside the run folders.`,
    );
    return;
  }
  if (json)
    await prepareJson(
      json,
      groups.flatMap((g) => g.dirs),
    );
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
