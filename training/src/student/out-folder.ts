/**
 * A student run's --out folder holds one whole run or nothing. The run claims `OUT.partial` before
 * any work (refused while another run writes one; one a killed run left is deleted), writes
 * everything there, and renames it to OUT only once complete: a killed run leaves OUT as it was, and
 * never a folder that looks finished. OUT must be missing or
 * empty, or, with --overwrite, a finished run, which is moved aside only once the new run is complete
 * (to `OUT.previous`, deleted after the swap; a kill between the two renames leaves the old run
 * there, and the next claim puts it back).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, rename, rm, rmdir, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import { isWithin, partialOf, previousOf } from "../fs/replace-folder.js";

/** What a run writes into --out, in the order a refusal lists them; log.txt is where its log is often kept. */
const RUN_ENTRIES = [
  "summary.json",
  "summary.md",
  "model",
  "quantization",
  "val-logits.json",
  "student-confusion.svg",
  "log.txt",
];
/** Written last, so only a finished run has it: what --overwrite may replace. */
const FINISHED_MARKER = "summary.json";
/** In OUT.partial while a run writes it: the process, so a later run can tell a stopped one from a running one. */
const OWNER_FILE = ".student-run.json";

export interface OutFolderOptions {
  /** Replace a finished run at --out once the new one is complete. */
  overwrite: boolean;
  /**
   * Folders the run reads, which --out must not hold; nor may --out lie inside one of `photos`
   * (folder-per-class images, among which the unfinished run would sit).
   */
  inputs: { flag: string; path: string; photos?: boolean }[];
  log?: (line: string) => void;
}

export interface OutClaim {
  /** Where the run writes: `OUT.partial`. */
  dir: string;
  /** Renames the complete run to OUT (the old run, with --overwrite, moved aside and deleted). */
  finish(): Promise<void>;
  /** Deletes the unfinished run after a failure, leaving OUT as it was. */
  abandon(): Promise<void>;
}

/** `OUT.partial` as the user would write it (no trailing separator inside it). */
const shown = (out: string, suffix: string) => `${out.replace(/[\\/]+$/, "")}${suffix}`;

/**
 * Throws, naming --out and what to do, unless a run may write `out`: it must not be a file, lie inside
 * --data or --val (the unfinished run would sit among the photos), hold a folder the run reads, or
 * hold anything but (with `overwrite`) a finished run. Reads only.
 */
export function checkOutFolder(out: string, { overwrite, inputs }: Omit<OutFolderOptions, "log">): void {
  for (const { flag, path, photos } of inputs) {
    if (photos && isWithin(out, path)) {
      throw new Error(`--out ${out} is inside ${flag} ${path}: choose a folder outside it`);
    }
    // OUT.partial is deleted when the run fails, OUT.previous when it replaces a run.
    for (const folder of [out, shown(out, ".partial"), shown(out, ".previous")]) {
      if (!isWithin(path, folder)) continue;
      const what = folder === out ? `--out ${out}` : `--out ${out} uses ${folder}, which`;
      throw new Error(`${what} holds ${flag} ${path}: choose an --out outside it`);
    }
  }
  // A replace killed between its renames left the old run at OUT.previous: it counts as OUT.
  const at = !existsSync(out) && existsSync(previousOf(out)) ? shown(out, ".previous") : out;
  if (!existsSync(at)) return;
  if (!statSync(at).isDirectory()) throw new Error(`--out ${at} is a file, not a folder: choose another --out`);
  const entries = readdirSync(at);
  if (entries.length === 0) return;
  const finished = entries.includes(FINISHED_MARKER);
  if (finished && overwrite) {
    // Replacing the run deletes the folder: anything else kept in it would go with it.
    const others = entries.filter((name) => !RUN_ENTRIES.includes(name));
    if (others.length === 0) return;
    throw new Error(
      `--out ${at} holds ${others.join(", ")} beside its run, which --overwrite would delete: move them out first, or choose another --out`,
    );
  }
  // A model/ counts only with its card: a folder of someone else's model/ is not called a run.
  const ours = RUN_ENTRIES.filter(
    (name) => entries.includes(name) && (name !== "model" || existsSync(resolve(at, name, "model-card.json"))),
  );
  if (ours.length > 0 && !overwrite) {
    const listed = ours.map((name) => (statSync(resolve(at, name)).isDirectory() ? `${name}/` : name)).join(", ");
    const also = finished ? ", or pass --overwrite to replace it once the new run is complete" : "";
    throw new Error(
      `--out ${at} already holds a student run (${listed}): choose another --out${finished ? "," : " or"} delete that folder${also}`,
    );
  }
  throw new Error(
    `--out ${at} is not empty and is not a finished student run (no ${FINISHED_MARKER}): choose another --out (a new or empty folder)`,
  );
}

/** The process that claimed `partial`, when it says so. */
function ownerOf(partial: string): { pid: number; host: string } | undefined {
  try {
    const owner = JSON.parse(readFileSync(join(partial, OWNER_FILE), "utf8"));
    return Number.isInteger(owner?.pid) && typeof owner?.host === "string" ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** Whether process `pid` (of this machine) is running. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Makes `OUT.partial` with this process as its owner. One left by a run of this machine that stopped
 * (killed before it finished; nothing in it can be resumed) is deleted first; one a running process
 * owns, or whose owner cannot be told, is refused by name.
 */
async function claimPartial(out: string, partial: string, log?: (line: string) => void): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await mkdir(partial);
      await writeFile(join(partial, OWNER_FILE), JSON.stringify({ pid: process.pid, host: hostname() }));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = ownerOf(partial);
    const stopped = owner !== undefined && owner.host === hostname() && !isRunning(owner.pid);
    if (stopped && attempt === 0) {
      await rm(partial, { recursive: true, force: true });
      log?.(`deleted ${shown(out, ".partial")}, the unfinished run of a student that stopped (pid ${owner.pid})`);
      continue;
    }
    if (owner && !stopped) {
      throw new Error(
        `--out ${out}: ${shown(out, ".partial")} is being written by another student run (pid ${owner.pid} on ${owner.host}): wait for it to finish, or choose another --out`,
      );
    }
    throw new Error(
      `--out ${out}: ${shown(out, ".partial")} holds an unfinished student run (killed, or still running): delete it once no run writes there, or choose another --out`,
    );
  }
}

/**
 * Checks `out` (`checkOutFolder`) and claims `OUT.partial` for the run, before any work (see
 * `claimPartial` for an `OUT.partial` already there). An old run a stopped replace left at
 * `OUT.previous` is first put back at OUT.
 */
export async function claimOutFolder(out: string, options: OutFolderOptions): Promise<OutClaim> {
  const final = resolve(out);
  const partial = partialOf(out);
  const previous = previousOf(out);
  if (!existsSync(final) && existsSync(previous)) {
    await rename(previous, final);
    options.log?.(`put back ${shown(out, ".previous")} (left by a replace that was stopped) as ${out}`);
  }
  checkOutFolder(out, options);
  await mkdir(dirname(partial), { recursive: true });
  await claimPartial(out, partial, options.log);
  return {
    dir: partial,
    async finish() {
      try {
        await rm(join(partial, OWNER_FILE), { force: true });
        // An empty OUT (made before the run, or meanwhile) gives way; anything else written there meanwhile stays.
        if (existsSync(final) && readdirSync(final).length === 0) await rmdir(final);
        if (existsSync(final)) {
          // checkOutFolder again: only a finished run, and only with --overwrite, is replaced.
          checkOutFolder(out, options);
          await rm(previous, { recursive: true, force: true });
          await rename(final, previous);
          await rename(partial, final);
          await rm(previous, { recursive: true, force: true });
        } else {
          await rename(partial, final);
        }
      } catch (error) {
        throw new Error(
          `the run is complete in ${shown(out, ".partial")} but could not become --out ${out}: ${(error as Error).message}`,
        );
      }
    },
    abandon: () => rm(partial, { recursive: true, force: true }),
  };
}
