/**
 * A student run's --out folder holds one whole run or nothing. The run claims `OUT.partial` before
 * any work (refused while another run writes one; the unfinished one a stopped run left is deleted,
 * a complete one never), writes everything there, and renames it to OUT only once complete: a killed
 * run leaves OUT as it was, and never a folder that looks finished. OUT must be missing or empty, or,
 * with --overwrite, a finished run, which is moved aside only once the new run is complete (to
 * `OUT.previous`, deleted after the swap; a kill between the two renames leaves the old run there,
 * and the next claim puts it back). OUT must not be a symbolic link: the renames would replace the
 * link, not the folder it points to.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from "node:fs";
import { mkdir, rename, rm, rmdir, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import { checkInputsOutside, checkOutNotInside, partialOf, settledFolder, swapIn } from "../fs/replace-folder.js";

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
/** Written last (pipeline.ts `runStudent`), so only a complete run has it: what --overwrite may replace. */
const FINISHED_MARKER = "summary.json";
/**
 * In OUT.partial from the moment it is claimed until it has become OUT (then deleted): the process, so
 * a later run can tell a stopped one from a running one.
 */
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

/** Refuses an --out that is a symbolic link (see the top of this file). */
function refuseLink(out: string): void {
  let link: boolean;
  try {
    link = lstatSync(resolve(out)).isSymbolicLink();
  } catch {
    return;
  }
  if (!link) return;
  let target: string;
  try {
    target = realpathSync(resolve(out));
  } catch {
    target = readlinkSync(resolve(out));
  }
  throw new Error(
    `--out ${out} is a symbolic link (to ${target}): give the real path instead, as the finished run is renamed into place at --out`,
  );
}

/** How to keep the complete run in `partial`: rename it to OUT by hand (OUT moved aside first, if there). */
function keepByHand(out: string, partial: string): string {
  const aside = existsSync(resolve(out)) ? ` once ${out} is moved aside` : "";
  return `keep it with \`mv ${partial} ${resolve(out)}\`${aside}, or choose another --out`;
}

/**
 * Throws, naming --out and what to do, unless a run may write `out`: it must not be a file or a
 * symbolic link, lie inside --data or --val (the unfinished run would sit among the photos), hold a
 * folder the run reads, or hold anything but (with `overwrite`) a finished run. Reads only.
 */
export function checkOutFolder(out: string, { overwrite, inputs }: Omit<OutFolderOptions, "log">): void {
  refuseLink(out);
  checkOutNotInside(
    out,
    inputs.filter((input) => input.photos),
  );
  // OUT.partial is deleted when the run fails, OUT.previous when it replaces a run.
  checkInputsOutside(out, inputs);
  // A replace killed between its renames left the old run at OUT.previous: it counts as OUT.
  const at = settledFolder(out);
  if (!existsSync(at)) return;
  if (!statSync(at).isDirectory()) throw new Error(`--out ${at} is a file, not a folder: choose another --out`);
  // The owner file is part of the run: a finish stopped before deleting it leaves it at OUT.
  const entries = readdirSync(at).filter((name) => name !== OWNER_FILE);
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
 * Makes `OUT.partial` holding its owner file, in one rename: a claimed `OUT.partial` always names its
 * run. False when `partial` is there already (and not empty).
 */
async function tryClaim(partial: string): Promise<boolean> {
  const temp = `${partial}.claim-${process.pid}-${Date.now()}`;
  await mkdir(temp);
  try {
    await writeFile(join(temp, OWNER_FILE), JSON.stringify({ pid: process.pid, host: hostname() }));
    await rename(temp, partial);
    return true;
  } catch (error) {
    if (existsSync(partial)) return false;
    throw error;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/**
 * Claims `OUT.partial` for this process. One left by a run of this machine that stopped (killed
 * before it finished; nothing in it can be resumed) is deleted first, unless it holds a complete run
 * (a finish that was stopped), which is never deleted; one a running process owns, a run on another
 * machine, or one whose owner cannot be told, is refused by name.
 */
async function claimPartial(out: string, partial: string, log?: (line: string) => void): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await tryClaim(partial)) return;
    const owner = ownerOf(partial);
    const here = owner !== undefined && owner.host === hostname();
    // A restarted container reuses pids: an owner with this process's pid is an earlier run's.
    const stopped = owner !== undefined && here && (owner.pid === process.pid || !isRunning(owner.pid));
    if (owner && here && !stopped) {
      throw new Error(
        `--out ${out}: ${partial} is being written by another student run (pid ${owner.pid} on ${owner.host}): wait for it to finish, or choose another --out`,
      );
    }
    const elsewhere = owner && !here ? `a run on ${owner.host} (pid ${owner.pid}), which may still be running` : "";
    if (existsSync(join(partial, FINISHED_MARKER))) {
      const whose = elsewhere ? ` (written by ${elsewhere}: wait until it has stopped)` : "";
      throw new Error(
        `--out ${out}: ${partial} holds a complete student run (it has ${FINISHED_MARKER}) that did not become --out${whose}: ${keepByHand(out, partial)}`,
      );
    }
    if (elsewhere) {
      throw new Error(
        `--out ${out}: ${partial} was claimed by ${elsewhere}: delete it once that run has stopped, or choose another --out`,
      );
    }
    if (!owner) {
      // Gone since the claim failed: another run took it for a stopped run's. Try again.
      if (!existsSync(partial)) continue;
      throw new Error(
        `--out ${out}: ${partial} holds an unfinished student run (killed, or still running): delete it once no run writes there, or choose another --out`,
      );
    }
    // Renamed to a name of this run's own before it is deleted: of two runs that found it, one
    // deletes it, and never the fresh claim the other made meanwhile.
    const stale = `${partial}.stale-${process.pid}-${Date.now()}`;
    try {
      await rename(partial, stale);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw error;
    }
    const taken = ownerOf(stale);
    if (taken?.pid !== owner.pid || taken.host !== owner.host) {
      // Another run claimed OUT.partial between the look and the rename: it is theirs.
      await rename(stale, partial).catch((error: Error) => {
        throw new Error(
          `--out ${out}: another run claimed ${partial} while this one took it for a stopped run's, and it could not be put back from ${stale} (${error.message}): stop both runs and delete both folders, or choose another --out`,
        );
      });
      continue;
    }
    await rm(stale, { recursive: true, force: true });
    log?.(`deleted ${partial}, the unfinished run of a student that stopped (pid ${owner.pid})`);
  }
  throw new Error(`--out ${out}: ${partial} kept changing while this run tried to claim it: choose another --out`);
}

/**
 * Checks `out` (`checkOutFolder`) and claims `OUT.partial` for the run, before any work (see
 * `claimPartial` for an `OUT.partial` already there). An old run a stopped replace left at
 * `OUT.previous` is first put back at OUT.
 */
export async function claimOutFolder(out: string, options: OutFolderOptions): Promise<OutClaim> {
  const final = resolve(out);
  const partial = partialOf(out);
  refuseLink(out);
  const settled = settledFolder(out);
  if (settled !== out) {
    await rename(settled, final);
    options.log?.(`put back ${settled} (left by a replace that was stopped) as ${out}`);
  }
  checkOutFolder(out, options);
  await mkdir(dirname(partial), { recursive: true });
  await claimPartial(out, partial, options.log);
  return {
    dir: partial,
    async finish() {
      try {
        // An empty OUT (made before the run, or meanwhile) gives way; anything else written there meanwhile stays.
        if (existsSync(final) && readdirSync(final).length === 0) await rmdir(final);
        // checkOutFolder again: only a finished run, and only with --overwrite, is replaced.
        if (existsSync(final)) checkOutFolder(out, options);
        await swapIn(partial, final);
      } catch (error) {
        throw new Error(
          `the run is complete in ${partial} but could not become --out ${out}: ${(error as Error).message}; ${keepByHand(out, partial)}`,
        );
      }
      // Only now that the run is OUT: until then it tells a later claim that OUT.partial is this run's.
      await rm(join(final, OWNER_FILE), { force: true });
    },
    abandon: () => rm(partial, { recursive: true, force: true }),
  };
}
