import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** The feature size stored beside a backbone's cache entries, so hits can be read before a model loads. */
export async function readDim(cacheDir: string, backboneKey: string): Promise<number | undefined> {
  const path = join(cacheDir, backboneKey, "dim.json");
  if (!existsSync(path)) return undefined;
  const value = (JSON.parse(await readFile(path, "utf8")) as { dim?: unknown }).dim;
  return typeof value === "number" && value > 0 ? value : undefined;
}

export async function writeDim(cacheDir: string, backboneKey: string, dim: number): Promise<void> {
  await mkdir(join(cacheDir, backboneKey), { recursive: true });
  await writeFile(join(cacheDir, backboneKey, "dim.json"), JSON.stringify({ dim }));
}
