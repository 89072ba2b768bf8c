import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SKIN8_CLASS_IDS } from "@pifu/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../testing/cli.js";

let dir: string;
/** The saved 8-fold result, split into files as two processes would have written them. */
let saved: { folds: { heldOut: string }[] } & Record<string, unknown>;
const part = async (name: string, from: number, to: number) => {
  const file = join(dir, name);
  await writeFile(file, JSON.stringify({ ...saved, folds: saved.folds.slice(from, to) }));
  return file;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pifu-ood-proxy-"));
  saved = JSON.parse(await readFile("docs/results/ood-proxy.json", "utf8"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("npm run ood-proxy", { timeout: 60_000 }, () => {
  it("names the valid classes when --held-out lists one skin8 does not have, before loading anything", async () => {
    const { code, stderr } = await runCli("ood-proxy", ["--held-out", "eczema, zebra", "--cache", "/nonexistent"]);
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(`ood-proxy: --held-out: unknown class "zebra"; valid: ${SKIN8_CLASS_IDS.join(", ")}`);
  });

  it("refuses a class listed twice in --held-out, which would count its fold twice", async () => {
    const { code, stderr } = await runCli("ood-proxy", ["--held-out", "nevus,nevus", "--cache", "/nonexistent"]);
    expect(code).toBe(1);
    expect(stderr.trim()).toBe("ood-proxy: --held-out lists nevus twice; each class is one fold");
  });

  it("refuses a --coverage that is not a share before training any fold", async () => {
    const { code, stderr } = await runCli("ood-proxy", ["--coverage", "85", "--cache", "/nonexistent"]);
    expect(code).toBe(1);
    expect(stderr.trim()).toBe("ood-proxy: --coverage must be a share in (0, 1], got 85");
  });

  it("never overwrites an existing --json, which may hold an earlier run's folds", async () => {
    const earlier = await part("earlier.json", 0, 2);
    const before = await readFile(earlier, "utf8");
    for (const args of [
      ["--cache", "/nonexistent"],
      ["--combine", await part("a.json", 0, 4)],
    ]) {
      const { code, stderr } = await runCli("ood-proxy", [...args, "--json", earlier]);
      expect(code).toBe(1);
      expect(stderr.trim()).toBe(
        `ood-proxy: --json ${earlier} already exists; move it away or choose another file (it is never overwritten)`,
      );
      expect(await readFile(earlier, "utf8")).toBe(before);
    }
  });

  it("--combine merges the folds of two runs into a new --json, written whole", async () => {
    const out = join(dir, "merged", "ood-proxy.json");
    const args = ["--combine", await part("a.json", 0, 4), await part("b.json", 4, 8), "--json", out];
    const { code, stderr } = await runCli("ood-proxy", args);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const merged = JSON.parse(await readFile(out, "utf8"));
    expect(merged.folds).toEqual(saved.folds);
    expect(await readdir(join(dir, "merged"))).toEqual(["ood-proxy.json"]);
  });

  it("--combine refuses the flags that configure training, which it would ignore", async () => {
    const args = ["--combine", await part("a.json", 0, 4), "--held-out", "nevus", "--seed", "7", "--coverage", "0.5"];
    const { code, stderr } = await runCli("ood-proxy", args);
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(
      "ood-proxy: --combine trains nothing, so --held-out, --seed, --coverage would be ignored: drop them (the folds keep the settings they were run with)",
    );
    const noKd = await runCli("ood-proxy", ["--combine", await part("a.json", 0, 4), "--no-kd"]);
    expect(noKd.stderr.trim()).toMatch(/^ood-proxy: --combine trains nothing, so --no-kd would be ignored: drop it/);
  });

  it("--combine names a class whose fold is in two files, and both files", async () => {
    const a = await part("a.json", 0, 5);
    const b = await part("b.json", 4, 8);
    const { code, stderr } = await runCli("ood-proxy", ["--combine", a, b]);
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(`ood-proxy: --combine: the psoriasis fold is in both ${a} and ${b}; keep one of them`);
  });

  it("--combine names a file that is not an ood-proxy --json output", async () => {
    const card = "models/default/model-card.json";
    const notOurs = await runCli("ood-proxy", ["--combine", card]);
    expect(notOurs.code).toBe(1);
    expect(notOurs.stderr.trim()).toMatch(
      new RegExp(`^ood-proxy: --combine ${card} is not an ood-proxy --json output: [^\\n]*folds`),
    );
    const text = join(dir, "notes.txt");
    await writeFile(text, "not json");
    const notJson = await runCli("ood-proxy", ["--combine", text]);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr.trim()).toMatch(
      new RegExp(`^ood-proxy: --combine ${text} is not an ood-proxy --json output: [^\\n]+$`),
    );
  });
});
