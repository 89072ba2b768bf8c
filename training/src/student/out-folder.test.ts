import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
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

  it("refuses a second run while another process writes OUT.partial; a failed run leaves none", async () => {
    const out = join(dir, "s1");
    const first = await claimOutFolder(out, options());
    // The same claim as another process, still running, made it.
    const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
    try {
      await writeFile(join(first.dir, ".student-run.json"), JSON.stringify({ pid: other.pid, host: hostname() }));
      await expect(claimOutFolder(out, options())).rejects.toThrow(
        `--out ${out}: ${out}.partial is being written by another student run (pid ${other.pid} on ${hostname()}): wait for it to finish, or choose another --out`,
      );
    } finally {
      other.kill();
    }
    await first.abandon();
    expect(existsSync(`${out}.partial`)).toBe(false);
    expect(existsSync(out)).toBe(false);
    await (await claimOutFolder(out, options())).abandon();
    expect(await readdir(dir)).toEqual([]);
  });

  it("takes an OUT.partial whose owner has this process's pid for a stopped run's (a restarted container reuses pids)", async () => {
    const out = join(dir, "s1");
    const earlier = await claimOutFolder(out, options());
    await writeRun(earlier.dir, 9, false);
    const lines: string[] = [];
    const next = await claimOutFolder(out, { ...options(), log: (line) => lines.push(line) });
    expect(lines).toEqual([
      `deleted ${out}.partial, the unfinished run of a student that stopped (pid ${process.pid})`,
    ]);
    expect(await readdir(next.dir)).toEqual([".student-run.json"]);
    expect(await readdir(dir)).toEqual(["s1.partial"]);
  });

  it("names the machine of an OUT.partial claimed on another one, which may still be running", async () => {
    const out = join(dir, "s1");
    await writeRun(`${out}.partial`, 9, false);
    await writeFile(join(`${out}.partial`, ".student-run.json"), JSON.stringify({ pid: 1, host: "elsewhere" }));
    await expect(claimOutFolder(out, options())).rejects.toThrow(
      `--out ${out}: ${out}.partial was claimed by a run on elsewhere (pid 1), which may still be running: delete it once that run has stopped, or choose another --out`,
    );
    expect(await seedIn(join(`${out}.partial`, "model", "model-card.json"))).toBe(9);
  });

  it("of runs that find a stopped run's OUT.partial at once, lets one claim it and refuses the others", async () => {
    const out = join(dir, "s1");
    await writeRun(`${out}.partial`, 9, false);
    const { pid } = spawnSync(process.execPath, ["-e", ""]);
    await writeFile(join(`${out}.partial`, ".student-run.json"), JSON.stringify({ pid, host: hostname() }));
    // Each claims, says how it went, and (the one that claimed) holds its claim until told to go.
    const release = join(dir, "release");
    const script = join(dir, "claim.mts");
    await writeFile(
      script,
      `import { existsSync } from "node:fs";
import { claimOutFolder } from ${JSON.stringify(join(import.meta.dirname, "out-folder.ts"))};
try {
  await claimOutFolder(process.argv[2], { overwrite: false, inputs: [] });
  console.log("claimed");
  while (!existsSync(process.argv[3])) await new Promise((r) => setTimeout(r, 50));
} catch (error) {
  console.log((error as Error).message);
}
`,
    );
    const tsx = join(import.meta.dirname, "../../../node_modules/.bin/tsx");
    const children = Array.from({ length: 4 }, () => spawn(tsx, [script, out, release]));
    const exited = children.map((child) => new Promise((done) => child.on("exit", done)));
    const said = await Promise.all(
      children.map(
        (child, i) =>
          new Promise<string>((done) => {
            let text = "";
            child.stdout.on("data", (chunk) => {
              text += chunk;
              if (text.includes("\n")) done(text.trim());
            });
            child.stderr.on("data", (chunk) => {
              text += chunk;
            });
            exited[i]?.then(() => done(text.trim()));
          }),
      ),
    );
    await writeFile(release, "");
    await Promise.all(exited);
    expect(said.filter((line) => line === "claimed")).toHaveLength(1);
    for (const line of said.filter((line) => line !== "claimed")) {
      expect(line).toMatch(`--out ${out}: ${out}.partial is being written by another student run`);
    }
    expect(await readdir(join(`${out}.partial`))).toEqual([".student-run.json"]);
    expect((await readdir(dir)).sort()).toEqual(["claim.mts", "release", "s1.partial"]);
  }, 30_000);

  it("never deletes an OUT.partial holding a complete run (a finish that was stopped) but says how to keep it", async () => {
    const out = join(dir, "s1");
    const claim = await claimOutFolder(out, options());
    await writeRun(claim.dir, 9);
    // A run written to OUT meanwhile: the finish refuses to replace it without --overwrite.
    await writeRun(out, 5);
    const keep = `keep it with \`mv ${out}.partial ${out}\``;
    await expect(claim.finish()).rejects.toThrow(
      `the run is complete in ${out}.partial but could not become --out ${out}: --out ${out} already holds a student run (summary.json, model/, quantization/): choose another --out, delete that folder, or pass --overwrite to replace it once the new run is complete; ${keep} once ${out} is moved aside, or choose another --out`,
    );
    await rm(out, { recursive: true });
    // Its owner (this process's pid, so a stopped run's), an owner that stopped, or none: kept all the same.
    const { pid } = spawnSync(process.execPath, ["-e", ""]);
    for (const owner of ["keep", JSON.stringify({ pid, host: hostname() }), undefined]) {
      if (owner === undefined) await rm(join(`${out}.partial`, ".student-run.json"));
      else if (owner !== "keep") await writeFile(join(`${out}.partial`, ".student-run.json"), owner);
      await expect(claimOutFolder(out, options(true))).rejects.toThrow(
        `--out ${out}: ${out}.partial holds a complete student run (it has summary.json) that did not become --out: ${keep}, or choose another --out`,
      );
      expect(await seedIn(join(`${out}.partial`, "model", "model-card.json"))).toBe(9);
    }
    await writeFile(join(`${out}.partial`, ".student-run.json"), JSON.stringify({ pid: 1, host: "elsewhere" }));
    await expect(claimOutFolder(out, options())).rejects.toThrow(
      `holds a complete student run (it has summary.json) that did not become --out (written by a run on elsewhere (pid 1), which may still be running: wait until it has stopped): ${keep}`,
    );
    // Kept as told, it is a finished run that --overwrite replaces.
    await rename(`${out}.partial`, out);
    const next = await claimOutFolder(out, options(true));
    await writeRun(next.dir, 11);
    await next.finish();
    expect(await seedIn(join(out, "model", "model-card.json"))).toBe(11);
    expect((await readdir(out)).sort()).toEqual(["model", "quantization", "summary.json"]);
  });

  it("refuses an --out that is a symbolic link, naming the folder it points to", async () => {
    const real = join(dir, "real");
    await writeRun(real, 9);
    const link = join(dir, "link");
    await symlink(real, link);
    for (const given of [link, `${link}/`]) {
      for (const overwrite of [false, true]) {
        const message = `--out ${given} is a symbolic link (to ${real}): give the real path instead, as the finished run is renamed into place at --out`;
        expect(() => checkOutFolder(given, options(overwrite))).toThrow(message);
        await expect(claimOutFolder(given, options(overwrite))).rejects.toThrow(message);
      }
    }
    expect((await readdir(dir)).sort()).toEqual(["link", "real"]);
    expect(await seedIn(join(real, "model", "model-card.json"))).toBe(9);
  });

  it("names OUT.partial as a path for an --out such as `.` (never `..partial`)", async () => {
    const out = join(dir, "s2");
    await mkdir(out);
    await writeRun(`${out}.partial`, 9, false);
    await expect(claimOutFolder(`${out}/.`, options())).rejects.toThrow(
      `--out ${out}/.: ${out}.partial holds an unfinished student run`,
    );
    const inputs = [{ flag: "--cache", path: join(dir, "run.partial", "cache") }];
    expect(() => checkOutFolder(`${join(dir, "run")}/.`, { overwrite: false, inputs })).toThrow(
      `--out ${join(dir, "run")}/. uses the working folder ${join(dir, "run")}.partial (deleted or renamed as --out is written), which holds --cache`,
    );
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
      `--out ${join(dir, "run")} uses the working folder ${join(dir, "run")}.partial (deleted or renamed as --out is written), which holds --cache ${join(dir, "run.partial", "cache")}: choose an --out outside it`,
    );
    expect(check(join(dir, "val2"))).not.toThrow();
  });
});
