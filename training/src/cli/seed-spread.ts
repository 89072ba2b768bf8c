/**
 * npm run seed-spread -- --group NAME RUN_DIR... [--group NAME RUN_DIR...] [--json FILE]
 * Tables the val numbers of student runs (each a `npm run student` output folder with summary.json)
 * that differ only in --seed: mean ± sd and range per group.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type SeedRun, type SummaryFields, seedRunFrom, seedSpreadMarkdown } from "../student/seed-spread.js";

const USAGE = "usage: npm run seed-spread -- --group NAME RUN_DIR... [--group NAME RUN_DIR...] [--json FILE]";

function parse(argv: readonly string[]): { groups: { name: string; dirs: string[] }[]; json?: string } {
  const groups: { name: string; dirs: string[] }[] = [];
  let json: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--group" || arg === "--json") {
      const value = argv[++i];
      if (!value || value.startsWith("--")) throw new Error(`${arg} needs a value\n${USAGE}`);
      if (arg === "--json") json = value;
      else groups.push({ name: value, dirs: [] });
    } else if (arg.startsWith("--")) throw new Error(`unknown flag ${arg}\n${USAGE}`);
    else {
      const group = groups.at(-1);
      if (!group) throw new Error(`run folder ${arg} comes before any --group\n${USAGE}`);
      group.dirs.push(arg);
    }
  }
  const empty = groups.find((g) => g.dirs.length === 0);
  if (groups.length === 0 || empty) throw new Error(`${empty ? `group "${empty.name}" has no runs\n` : ""}${USAGE}`);
  return { groups, ...(json ? { json } : {}) };
}

async function readRun(dir: string): Promise<SeedRun> {
  let text: string;
  try {
    text = await readFile(join(dir, "summary.json"), "utf8");
  } catch {
    throw new Error(`${dir} has no summary.json (is it an \`npm run student\` output folder?)`);
  }
  return seedRunFrom(dir, JSON.parse(text) as SummaryFields);
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(
      `${USAGE}\nEach RUN_DIR is an \`npm run student\` output folder (summary.json); runs of one group should differ only in --seed.`,
    );
    return;
  }
  const { groups, json } = parse(argv);
  const tables = await Promise.all(
    groups.map(async (g) => ({ name: g.name, runs: await Promise.all(g.dirs.map(readRun)) })),
  );
  console.log(seedSpreadMarkdown(tables));
  if (json) await writeFile(json, `${JSON.stringify(tables, null, 2)}\n`);
}

main().catch((error: Error) => {
  console.error(`seed-spread: ${error.message}`);
  process.exitCode = 1;
});
