/**
 * Replaces a folder with one written beside it first, so a failure midway changes nothing and a kill
 * midway loses at most the new copy: the new contents go to `DIR.partial`, then two renames swap it
 * in. A kill between the renames leaves the old copy at `DIR.previous`, which `settledFolder` finds
 * and the next replace puts back before it starts.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";

// Resolved, so DIR/ has its working copies beside DIR like DIR, not inside it.
export const partialOf = (dir: string) => `${resolve(dir)}.partial`;
export const previousOf = (dir: string) => `${resolve(dir)}.previous`;

/**
 * Every folder `replaceFolder(dir)` may delete or rename: `dir` and its two working copies. A
 * command's inputs must lie outside all of them (`DIR.partial` and `DIR.previous` are what a killed
 * replace leaves, so they are the names a user is likely to pass back in).
 */
export function replacedFolders(dir: string): string[] {
  return [dir, partialOf(dir), previousOf(dir)];
}

/**
 * Throws unless every input lies outside the folders writing `out` may delete or rename
 * (`replacedFolders`), naming the one that holds it: `--out OUT holds FLAG PATH`, or, for a working
 * folder, `--out OUT uses the working folder OUT.partial (…), which holds FLAG PATH`.
 */
export function checkInputsOutside(out: string, inputs: readonly { flag: string; path: string }[]): void {
  for (const { flag, path } of inputs) {
    const folder = replacedFolders(out).find((candidate) => isWithin(path, candidate));
    if (folder === undefined) continue;
    const what =
      folder === out
        ? `--out ${out}`
        : `--out ${out} uses the working folder ${folder} (deleted or renamed as --out is written), which`;
    throw new Error(`${what} holds ${flag} ${path}: choose an --out outside it`);
  }
}

/**
 * Throws unless `out` lies outside every one of `inputs`: a folder written inside --data would join
 * its photos (a class of its own), inside --model its files.
 */
export function checkOutNotInside(out: string, inputs: readonly { flag: string; path: string }[]): void {
  for (const { flag, path } of inputs) {
    if (isWithin(out, path)) throw new Error(`--out ${out} is inside ${flag} ${path}; choose a folder outside it`);
  }
}

/** Whether `path` is `folder` or lies inside it (compared as resolved paths; links are not followed). */
export function isWithin(path: string, folder: string): boolean {
  const rel = relative(resolve(folder), resolve(path));
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

export async function replaceFolder<T>(dir: string, write: (partial: string) => Promise<T>): Promise<T> {
  const partial = partialOf(dir);
  // A replace killed between its renames left the only good copy at DIR.previous: put it back first.
  const settled = settledFolder(dir);
  if (settled !== dir) await rename(settled, dir);
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  let result: T;
  try {
    result = await write(partial);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
  await swapIn(partial, dir);
  return result;
}

/**
 * Puts the complete folder `partial` at `dir`: the old `dir`, if any, is renamed to `DIR.previous`
 * first and deleted only after the swap, so a kill between the two renames leaves it there
 * (`settledFolder` finds it). A `DIR.previous` already there is an older copy, which `partial`
 * replaces as well: it is deleted first.
 */
export async function swapIn(partial: string, dir: string): Promise<void> {
  const previous = previousOf(dir);
  await rm(previous, { recursive: true, force: true });
  if (existsSync(dir)) await rename(dir, previous);
  await rename(partial, dir);
  await rm(previous, { recursive: true, force: true });
}

/** `dir`, or its previous copy when a replace was killed between its two renames. */
export function settledFolder(dir: string): string {
  return !existsSync(dir) && existsSync(previousOf(dir)) ? previousOf(dir) : dir;
}

/**
 * Refuses to let `replaceFolder` delete a folder that is not what it would write: `dir` must be
 * missing, empty, or hold `marker` (e.g. model-card.json), so a mistyped --out never deletes data.
 */
export function assertReplaceable(dir: string, marker: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new Error(`${dir} is a file, not a folder it may replace`);
  const entries = readdirSync(dir);
  if (entries.length > 0 && !entries.includes(marker)) {
    throw new Error(`${dir} is not empty and has no ${marker}: refusing to replace it (choose another folder)`);
  }
}
