import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SKIN8_CLASS_IDS } from "@pifu/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend/index.js";
import { openModelDir } from "../evaluate/model-dir.js";
import { exportModelFolder } from "../export/card.js";
import { testCardFields, tinyClassifier } from "../export/test-model.js";
import { runCli } from "../testing/cli.js";
import { writeSyntheticSet } from "../testing/fixtures.js";

let dir: string;

const exportModel = (...args: string[]) => runCli("export-model", args);

beforeAll(async () => {
  await initBackend("wasm");
  dir = await mkdtemp(join(tmpdir(), "pifu-export-model-"));
  const fields = await testCardFields(16);
  for (const q of ["float32", "float16"] as const)
    await exportModelFolder(tinyClassifier(16, 8, 4), join(dir, q), fields, q);
  await writeSyntheticSet(join(dir, "val"), { classes: [...SKIN8_CLASS_IDS], perClass: Array(8).fill(2), size: 24 });
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("npm run export-model", { timeout: 60_000 }, () => {
  it("re-exports a float32 folder as float16 with the card carried over, a new version and fresh val metrics", async () => {
    const out = join(dir, "out");
    const { code, stdout } = await exportModel(
      `--model=${join(dir, "float32")}`,
      `--out=${out}`,
      `--data=${join(dir, "val")}`,
      "--model-version=2.1.0",
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/2\.1\.0 \(float16\)/);
    const source = JSON.parse(await readFile(join(dir, "float32", "model-card.json"), "utf8"));
    const { card } = await openModelDir(out);
    expect(card).toMatchObject({ version: "2.1.0", quantization: "float16" });
    expect(card.training).toEqual(source.training);
    expect(card.calibration).toEqual(source.calibration);
    expect(card.unsure).toEqual(source.unsure);
    expect(card.metrics.val.support).toBe(16);
    expect(card.files.reduce((n, f) => n + f.size, 0)).toBeLessThan(
      source.files.reduce((n: number, f: { size: number }) => n + f.size, 0),
    );
  });

  it("refuses a folder that is already quantized, and an --out that would replace the source", async () => {
    const quantized = await exportModel(
      `--model=${join(dir, "float16")}`,
      `--out=${join(dir, "x")}`,
      `--data=${join(dir, "val")}`,
    );
    expect(quantized.code).toBe(1);
    expect(quantized.stderr).toMatch(/is float16; re-export from a float32 folder/);
    const same = await exportModel(
      `--model=${join(dir, "float32")}`,
      `--out=${join(dir, "float32")}`,
      `--data=${join(dir, "val")}`,
    );
    expect(same.stderr).toMatch(/--out .* holds --model/);
    const parentOfData = await exportModel(
      `--model=${join(dir, "float32")}`,
      `--out=${dir}`,
      `--data=${join(dir, "val")}`,
    );
    expect(parentOfData.stderr).toMatch(/--out .* holds --model/);
    const insideData = await exportModel(
      `--model=${join(dir, "float32")}`,
      `--out=${join(dir, "val", "export")}`,
      `--data=${join(dir, "val")}`,
    );
    expect(insideData.stderr).toMatch(/--out .*val\/export is inside --data/);
    const badVersion = await exportModel(
      `--model=${join(dir, "float32")}`,
      `--out=${join(dir, "y")}`,
      `--data=${join(dir, "val")}`,
      "--model-version=v2",
    );
    expect(badVersion.stderr).toMatch(/--model-version must be a semver version/);
  });

  it("never deletes a folder that is not a model folder, and keeps the old export when the new one fails", async () => {
    const notes = join(dir, "notes");
    await mkdir(notes);
    await writeFile(join(notes, "keep.txt"), "precious");
    const refused = await exportModel(
      `--model=${join(dir, "float32")}`,
      `--out=${notes}`,
      `--data=${join(dir, "val")}`,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/is not empty and has no model-card.json: refusing to replace it/);
    expect(await readFile(join(notes, "keep.txt"), "utf8")).toBe("precious");

    const out = join(dir, "kept");
    const args = [`--model=${join(dir, "float32")}`, `--out=${out}`];
    expect((await exportModel(...args, `--data=${join(dir, "val")}`)).code).toBe(0);
    const before = await readFile(join(out, "model-card.json"), "utf8");
    const typo = await exportModel(...args, `--data=${join(dir, "no-such-val")}`);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/no-such-val/);
    expect(await readFile(join(out, "model-card.json"), "utf8")).toBe(before);
    expect(existsSync(`${out}.partial`)).toBe(false);
  });
});
