import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../testing/cli.js";

let dir: string;

/** A run folder whose summary.json holds `text`. */
async function run(name: string, text: string): Promise<string> {
  await mkdir(join(dir, name), { recursive: true });
  await writeFile(join(dir, name, "summary.json"), text);
  return join(dir, name);
}

/** A run folder of a student run with `seed` and `finetune` (its model folder beside summary.json). */
async function studentRun(name: string, seed: number, finetune = { epochs: 16, learningRate: 1e-4 }) {
  const perClass = { nevus: { f1: 0.5 }, warts: { f1: 0.6 } };
  const summary = {
    config: { seed, out: join(dir, name), epochs: 30, finetune },
    ablation: [{ accuracy: 0.7 + seed / 100, macroF1: 0.6 }],
    finetuned: false,
    exported: { evaluation: { accuracy: 0.71, macroF1: 0.6, ece: 0.04, perClass } },
  };
  const folder = await run(name, JSON.stringify(summary));
  await mkdir(join(folder, "model"), { recursive: true });
  await writeFile(join(folder, "model", "model-card.json"), '{"name":"pifu"}');
  return folder;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pifu-seed-spread-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("npm run seed-spread on a bad summary.json", { timeout: 60_000 }, () => {
  it("names the file that is not JSON, or not a student summary, in one line", async () => {
    const broken = await run("broken", "{ seed: 3");
    const notJson = await runCli("seed-spread", ["--group", "a", broken]);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr.trim()).toMatch(
      new RegExp(`^seed-spread: ${join(broken, "summary.json")} is not JSON: [^\\n]+$`),
    );
    const empty = await run("empty", "{}");
    const notSummary = await runCli("seed-spread", ["--group", "a", empty]);
    expect(notSummary.code).toBe(1);
    expect(notSummary.stderr.trim()).toMatch(
      new RegExp(`^seed-spread: ${join(empty, "summary.json")} is not an \`npm run student\` summary: [^\\n]*config`),
    );
  });
});

describe("npm run seed-spread", { timeout: 60_000 }, () => {
  it("writes --json into a folder it creates, and replaces an earlier seed-spread output", async () => {
    const runs = [await studentRun("s1", 1), await studentRun("s2", 2)];
    const json = join(dir, "new", "folder", "spread.json");
    for (let i = 0; i < 2; i++) {
      const { code, stdout, stderr } = await runCli("seed-spread", ["--group", "a", ...runs, "--json", json]);
      expect(stderr).toBe("");
      expect(code).toBe(0);
      expect(stdout).toContain("#### a (2 runs)");
      expect(JSON.parse(await readFile(json, "utf8"))[0].runs.map((r: { seed: number }) => r.seed)).toEqual([1, 2]);
    }
    expect(await readdir(join(dir, "new", "folder"))).toEqual(["spread.json"]);
  });

  it("refuses a --json inside a run folder it reads, or over a file that is not its own, before any work", async () => {
    const runs = [await studentRun("s1", 1), await studentRun("s2", 2)];
    const card = join(runs[0] as string, "model", "model-card.json");
    const inside = await runCli("seed-spread", ["--group", "a", ...runs, "--json", card]);
    expect(inside.code).toBe(1);
    expect(inside.stdout).toBe("");
    expect(inside.stderr.trim()).toBe(
      `seed-spread: --json ${card} is inside the run folder ${runs[0]}; write it elsewhere so no input is overwritten`,
    );
    const other = join(dir, "model-card.json");
    await writeFile(other, '{"name":"pifu"}');
    const notOurs = await runCli("seed-spread", ["--group", "a", ...runs, "--json", other]);
    expect(notOurs.code).toBe(1);
    expect(notOurs.stderr.trim()).toBe(
      `seed-spread: --json ${other} exists and is not an earlier seed-spread output; refusing to overwrite it`,
    );
    expect(await readFile(card, "utf8")).toBe('{"name":"pifu"}');
    expect(await readFile(other, "utf8")).toBe('{"name":"pifu"}');
  });

  it("refuses the same run twice in a group", async () => {
    const r = await studentRun("s1", 1);
    const { code, stderr } = await runCli("seed-spread", ["--group", "a", r, r]);
    expect(code).toBe(1);
    expect(stderr.trim().split("\n")[0]).toBe(`seed-spread: group "a" lists ${r} twice`);
  });

  it("tables runs whose configs differ in more than the seed, with a warning naming the key", async () => {
    const runs = [await studentRun("s1", 1), await studentRun("s2-lr", 2, { epochs: 16, learningRate: 2e-4 })];
    const { code, stdout, stderr } = await runCli("seed-spread", ["--group", "a", ...runs]);
    expect(code).toBe(0);
    expect(stderr.trim()).toBe(
      `seed-spread: warning: group "a": ${runs[0]} and ${runs[1]} differ in finetune.learningRate (0.0001 vs 0.0002); its spread is not the seed's alone`,
    );
    expect(stdout).toContain("#### a (2 runs)");
  });
});
