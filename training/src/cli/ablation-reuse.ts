/**
 * Whether an ablation row's finished run from an earlier invocation may stand in for training it:
 * only when it was trained with the row's configuration as it stands now.
 */

import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parseJsonFrom } from "../fs/parse-json.js";
import type { TrainConfig } from "../train/config.js";
import type { RunResult } from "../train/run.js";

/** Where the run went and how it was carried out, never what it computed (features are the same from any worker or cache). */
const NOT_COMPARED: ReadonlySet<string> = new Set(["out", "resume", "workers", "cacheDir"]);
/** Compared as the folders or files they name, however they were spelled. */
const PATHS: ReadonlySet<string> = new Set(["data", "val", "labels"]);

/**
 * The settings in which a saved run's config differs from `config`, e.g. "seed 42 → 7", or just the
 * setting's name where it is an object ("loss").
 */
export function configDifferences(saved: TrainConfig, config: TrainConfig): string[] {
  const before = saved as unknown as Record<string, unknown>;
  // As run.json holds it: without the fields that are undefined.
  const now = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  const differs = (key: string) => {
    const [a, b] = [before[key], now[key]];
    if (PATHS.has(key) && typeof a === "string" && typeof b === "string") return resolve(a) !== resolve(b);
    return !isDeepStrictEqual(a, b);
  };
  const keys = [...new Set([...Object.keys(before), ...Object.keys(now)])];
  return keys
    .filter((key) => !NOT_COMPARED.has(key) && differs(key))
    .map((key) => {
      const [a, b] = [before[key], now[key]];
      if (typeof a === "object" || typeof b === "object") return key;
      const shown = (value: unknown) => (value === undefined ? "unset" : JSON.stringify(value));
      return `${key} ${shown(a)} → ${shown(b)}`;
    });
}

/** The finished run in a row's folder (`out`/run.json), or undefined when it has none. */
export async function readSavedRun(out: string): Promise<RunResult | undefined> {
  const file = join(out, "run.json");
  if (!existsSync(file)) return undefined;
  const saved = parseJsonFrom(file, await readFile(file, "utf8")) as Partial<RunResult> | null;
  if (typeof saved?.config !== "object" || saved.config === null)
    throw new Error(`${file} is not a training run's run.json (it has no config); delete it or pass another --runs`);
  return { ...(saved as RunResult), outDir: out };
}
