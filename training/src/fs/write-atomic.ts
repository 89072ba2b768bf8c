import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/** The working copy a write to `path` goes to before it is renamed over `path`. */
const partialOf = (path: string) => `${path}.${process.pid}.partial`;

/**
 * Writes `text` beside `path`, then renames it over `path`: a kill midway leaves the earlier file
 * whole, never half of a new one. Synchronous, for results written from progress callbacks.
 */
export function writeFileAtomicSync(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const partial = partialOf(path);
  try {
    writeFileSync(partial, text);
    renameSync(partial, path);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
}

/** The same for a folder that exists, asynchronously (the feature cache's entries). */
export async function writeFileAtomic(path: string, data: string | Float32Array): Promise<void> {
  const partial = partialOf(path);
  try {
    await writeFile(partial, data);
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}
