/** `npm run ablation` end to end on a tiny generated set and backbone, two rows of the methods table. */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend/index.js";
import { runCli } from "../testing/cli.js";
import { writeSyntheticSet, writeTinyBackbone } from "../testing/fixtures.js";
import { rerunCommand } from "./ablation-report.js";

let dir: string;
const at = (...parts: string[]) => join(dir, ...parts);
const ablation = (...staging: string[]) =>
  runCli("ablation", [
    `--data=${at("train")}`,
    `--val=${at("val")}`,
    `--out=${at("out")}`,
    `--runs=${at("runs")}`,
    `--backbones=${at("backbone")}`,
    `--methods-backbone=${at("backbone")}`,
    "--input-size=16",
    `--cache-dir=${at("cache")}`,
    "--epochs=2",
    ...staging,
  ]);

beforeAll(async () => {
  await initBackend("wasm");
  dir = await mkdtemp(join(tmpdir(), "pifu-ablation-"));
  const classes = ["acne_rosacea", "eczema", "warts"];
  await writeSyntheticSet(at("train"), { classes, perClass: [6, 5, 3], size: 24, seed: 1 });
  await writeSyntheticSet(at("val"), { classes, perClass: [2, 2, 2], size: 24, seed: 2 });
  await writeTinyBackbone(at("backbone"), 16);
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("npm run ablation on a tiny generated set", { timeout: 90_000 }, () => {
  it("trains the rows named by --only and writes their table, chart, plots and provenance", async () => {
    const { code, stderr } = await ablation("--only=methods-baseline,methods-focal");
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/== methods-baseline/);
    expect(stderr).toMatch(/== methods-focal/);
    const md = await readFile(at("out", "ablation.md"), "utf8");
    // The recorded command reruns every row: the staging flags are left out.
    expect(md).toMatch(/^Command: `npm run ablation -- --data=.*--epochs=2`$/m);
    expect(md).not.toMatch(/^Command: .*--only/m);
    expect(md).toMatch(/^## 2\. Methods on /m);
    expect(md).not.toMatch(/^## 1\. /m);
    expect(md).toMatch(/^\| baseline \(CE\) \| \d\.\d\d \|/m);
    expect(md).toMatch(/^\| focal loss \(γ = 2\) \| \d\.\d\d \|/m);
    expect(md).toMatch(/^- .*backbone: sha256 [0-9a-f]{64}$/m);
    expect(md).toMatch(/^- data: .* \(14 images used\), val .* \(6\)$/m);
    for (const svg of ["table2-val-macro-f1.svg", "methods-baseline-confusion.svg", "methods-baseline-curves.svg"])
      expect(existsSync(at("out", "ablation", svg)), svg).toBe(true);
  });

  it("with --reuse reads finished rows instead of training them again, and keeps them in the report", async () => {
    const { code, stderr } = await ablation("--reuse", "--only=methods-focal");
    expect(code, stderr).toBe(0);
    expect(stderr).not.toMatch(/== methods-/);
    const md = await readFile(at("out", "ablation.md"), "utf8");
    // Marked as read from an earlier run, and named under the command.
    expect(md).toMatch(/^\| baseline \(CE\) † \|/m);
    expect(md).toMatch(/^\| focal loss \(γ = 2\) † \|/m);
    expect(md).toMatch(
      /^Rows marked † \(2 of 2\) were not trained by the invocation .*methods-baseline, methods-focal/m,
    );
  });

  it("refuses to show a row not picked whose saved run had other settings, before training anything", async () => {
    const { code, stderr } = await ablation("--only=methods-focal", "--seed=7");
    expect(code).toBe(1);
    expect(stderr).not.toMatch(/== methods-/);
    expect(stderr.trim()).toMatch(
      /^ablation: rows left out by --only\/--skip have runs in .* trained with other settings than these: methods-baseline \(seed 42 → 7\); train them again .* or pass another --runs$/,
    );
  });

  it("trains a picked row again, with --reuse, when its saved run had other settings", async () => {
    const { code, stderr } = await ablation("--reuse", "--only=methods-baseline,methods-focal", "--seed=7");
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/== methods-baseline/);
    expect(stderr).toMatch(/trained with other settings \(seed 42 → 7\); training it again/);
    const md = await readFile(at("out", "ablation.md"), "utf8");
    expect(md).toMatch(/^\| baseline \(CE\) \| \d\.\d\d \|/m);
    expect(md).not.toMatch(/†/);
  });
});

describe("npm run ablation: flags", { timeout: 60_000 }, () => {
  it("refuses a --best-augment-copies that is not a whole number, instead of reading it as 0", async () => {
    const { code, stderr } = await runCli("ablation", [
      "--data=/nonexistent",
      "--out=/nonexistent",
      "--best-augment-copies=two",
    ]);
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('ablation: --best-augment-copies must be a number, got "two"');
  });
});

describe("the ablation report's command line", () => {
  it("leaves out the staging flags and their values, in either spelling", () => {
    const args = ["--data", "d", "--only", "a,b", "--skip=c", "--reuse", "--epochs=2", "--out", "o"];
    expect(rerunCommand(args)).toBe("npm run ablation -- --data d --epochs=2 --out o");
  });
});
