import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkOutFolder, claimOutFolder, type OutFolderOptions } from "./out-folder.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pifu-out-folder-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const options = (overwrite = false): OutFolderOptions => ({ overwrite, inputs: [] });

/** A run's files as the pipeline writes them, its seed in each. */
async function writeRun(folder: string, seed: number, finished = true): Promise<void> {
  await mkdir(join(folder, "model"), { recursive: true });
  await mkdir(join(folder, "quantization", "float32"), { recursive: true });
  await writeFile(join(folder, "model", "model-card.json"), JSON.stringify({ seed }));
  await writeFile(join(folder, "quantization", "float32", "model-card.json"), JSON.stringify({ seed }));
  if (finished) await writeFile(join(folder, "summary.json"), JSON.stringify({ config: { seed } }));
}

const seedIn = async (file: string) => (JSON.parse(await readFile(file, "utf8")) as { seed: number }).seed;

describe("a student run's --out", () => {
  it("is written whole into OUT.partial and becomes OUT only when finished", async () => {
    const out = join(dir, "runs", "s1");
    const claim = await claimOutFolder(out, options());
    expect(claim.dir).toBe(`${out}.partial`);
    await writeRun(claim.dir, 9);
    // Killed here: nothing at OUT looks like a run.
    expect(existsSync(out)).toBe(false);
    await claim.finish();
    expect(await readdir(join(dir, "runs"))).toEqual(["s1"]);
    expect(await seedIn(join(out, "model", "model-card.json"))).toBe(9);
  });

  it("may be an empty folder made beforehand", async () => {
    const out = join(dir, "empty");
    await mkdir(out);
    const claim = await claimOutFolder(`${out}/`, options());
    expect(claim.dir).toBe(`${out}.partial`);
    await writeRun(claim.dir, 9);
    await claim.finish();
    expect(existsSync(join(out, "summary.json"))).toBe(true);
  });

  it("refuses a second run while the first one writes OUT.partial; a failed run leaves none", async () => {
    const out = join(dir, "s1");
    const first = await claimOutFolder(out, options());
    await expect(claimOutFolder(out, options())).rejects.toThrow(
      `--out ${out}: ${out}.partial is being written by another student run (pid ${process.pid} on ${hostname()}): wait for it to finish, or choose another --out`,
    );
    await first.abandon();
    expect(existsSync(`${out}.partial`)).toBe(false);
    expect(existsSync(out)).toBe(false);
    await (await claimOutFolder(out, options())).abandon();
  });

  it("deletes the OUT.partial of a run that was killed, and refuses one whose writer it cannot tell", async () => {
    const out = join(dir, "s1");
    const killed = await claimOutFolder(out, options());
    await writeRun(killed.dir, 9, false);
    // The same folder as a process that has exited left it.
    const { pid } = spawnSync(process.execPath, ["-e", ""]);
    await writeFile(join(killed.dir, ".student-run.json"), JSON.stringify({ pid, host: hostname() }));
    const lines: string[] = [];
    const next = await claimOutFolder(out, { ...options(), log: (line) => lines.push(line) });
    expect(lines).toEqual([`deleted ${out}.partial, the unfinished run of a student that stopped (pid ${pid})`]);
    expect(await readdir(next.dir)).toEqual([".student-run.json"]);
    await next.finish();
    expect(await readdir(out)).toEqual([]);

    const unknown = join(dir, "s2");
    await writeRun(`${unknown}.partial`, 9);
    await expect(claimOutFolder(unknown, options())).rejects.toThrow(
      `--out ${unknown}: ${unknown}.partial holds an unfinished student run (killed, or still running): delete it once no run writes there, or choose another --out`,
    );
    expect(await seedIn(join(`${unknown}.partial`, "model", "model-card.json"))).toBe(9);
  });

  it("never mixes two runs: a finished run is refused, or with --overwrite replaced only once the new one is complete", async () => {
    const out = join(dir, "s1");
    await writeRun(out, 9);
    expect(() => checkOutFolder(out, options())).toThrow(
      `--out ${out} already holds a student run (summary.json, model/, quantization/): choose another --out, delete that folder, or pass --overwrite`,
    );
    const claim = await claimOutFolder(out, options(true));
    await writeRun(claim.dir, 11);
    // Killed before finishing: the old run is whole.
    expect(await seedIn(join(out, "model", "model-card.json"))).toBe(9);
    expect(await seedIn(join(out, "quantization", "float32", "model-card.json"))).toBe(9);
    await claim.finish();
    expect(await seedIn(join(out, "model", "model-card.json"))).toBe(11);
    expect(await seedIn(join(out, "quantization", "float32", "model-card.json"))).toBe(11);
    expect(await readdir(dir)).toEqual(["s1"]);

    // What was kept beside the run would go with it: --overwrite refuses until it is moved out.
    await writeFile(join(out, "default-val.json"), "{}");
    expect(() => checkOutFolder(out, options(true))).toThrow(
      `--out ${out} holds default-val.json beside its run, which --overwrite would delete: move them out first, or choose another --out`,
    );
  });

  it("puts back the old run a replace stopped between its renames left at OUT.previous", async () => {
    const out = join(dir, "s1");
    await writeRun(`${out}.previous`, 9);
    expect(() => checkOutFolder(out, options())).toThrow(`--out ${out}.previous already holds a student run`);
    const lines: string[] = [];
    await expect(claimOutFolder(out, { ...options(), log: (line) => lines.push(line) })).rejects.toThrow(
      `--out ${out} already holds a student run`,
    );
    expect(lines).toEqual([`put back ${out}.previous (left by a replace that was stopped) as ${out}`]);
    expect(await seedIn(join(out, "model", "model-card.json"))).toBe(9);
    expect(existsSync(`${out}.partial`)).toBe(false);
  });

  it("refuses, even with --overwrite, an unfinished run, a file and a folder of something else", async () => {
    const killed = join(dir, "killed");
    await writeRun(killed, 9, false);
    expect(() => checkOutFolder(killed, options())).toThrow(
      `--out ${killed} already holds a student run (model/, quantization/): choose another --out or delete that folder`,
    );
    const file = join(dir, "notes.txt");
    await writeFile(file, "keep me");
    const other = join(dir, "photos");
    await mkdir(join(other, "model"), { recursive: true });
    for (const overwrite of [false, true]) {
      expect(() => checkOutFolder(file, options(overwrite))).toThrow(
        `--out ${file} is a file, not a folder: choose another --out`,
      );
      expect(() => checkOutFolder(other, options(overwrite))).toThrow(
        `--out ${other} is not empty and is not a finished student run (no summary.json): choose another --out (a new or empty folder)`,
      );
    }
    expect(() => checkOutFolder(killed, options(true))).toThrow(/is not a finished student run/);
  });

  it("refuses an --out inside the photos, or holding (itself or as OUT.partial) a folder the run reads", () => {
    const inputs = [
      { flag: "--val", path: join(dir, "val"), photos: true },
      { flag: "--cache", path: join(dir, "run.partial", "cache") },
    ];
    const check = (out: string) => () => checkOutFolder(out, { overwrite: true, inputs });
    expect(check(join(dir, "val", "run"))).toThrow(
      `--out ${join(dir, "val", "run")} is inside --val ${join(dir, "val")}`,
    );
    expect(check(dir)).toThrow(`--out ${dir} holds --val ${join(dir, "val")}: choose an --out outside it`);
    expect(check(join(dir, "run"))).toThrow(
      `--out ${join(dir, "run")} uses ${join(dir, "run")}.partial, which holds --cache ${join(dir, "run.partial", "cache")}`,
    );
    expect(check(join(dir, "val2"))).not.toThrow();
  });
});
