/**
 * npm run seed-spread -- --group NAME RUN_DIR... [--group NAME RUN_DIR...] [--json FILE]
 * Tables the val numbers of student runs (each a `npm run student` output folder with summary.json)
 * that differ only in --seed: mean ± sd and range per group.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runMain } from "@pifu/core/cli";
import {
  parseSummary,
  SEED_SPREAD_USAGE,
  type SeedRun,
  seedRunFrom,
  seedSpreadArgs,
  seedSpreadMarkdown,
} from "../student/seed-spread.js";

async function readRun(dir: string): Promise<SeedRun> {
  const file = join(dir, "summary.json");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new Error(`${dir} has no summary.json (is it an \`npm run student\` output folder?)`);
  }
  return seedRunFrom(dir, parseSummary(file, text));
}

async function main() {
  const { help, groups, json } = seedSpreadArgs(process.argv.slice(2));
  if (help) {
    console.log(
      `${SEED_SPREAD_USAGE}\nEach RUN_DIR is an \`npm run student\` output folder (summary.json); runs of one group should differ only in --seed.`,
    );
    return;
  }
  const tables = await Promise.all(
    groups.map(async (g) => ({ name: g.name, runs: await Promise.all(g.dirs.map(readRun)) })),
  );
  console.log(seedSpreadMarkdown(tables));
  if (json) await writeFile(json, `${JSON.stringify(tables, null, 2)}\n`);
}

runMain("seed-spread", main);
