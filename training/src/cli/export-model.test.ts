import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SKIN8_CLASS_IDS } from "@pifu/core";
import { exampleCard } from "@pifu/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend/index.js";
import { openModelDir } from "../evaluate/model-dir.js";
import { exportModelFolder } from "../export/card.js";
import { testCardFields, tinyClassifier } from "../export/test-model.js";
import { runCli } from "../testing/cli.js";
import { writeSyntheticSet } from "../testing/fixtures.js";
import { reexportFields } from "./export-model.js";

let dir: string;

const exportModel = (...args: string[]) => runCli("export-model", args);

beforeAll(async () => {
  await initBackend("wasm");
  dir = await mkdtemp(join(tmpdir(), "pifu-export-model-"));
  const base = await testCardFields(16);
  const fields = { ...base, training: { ...base.training, data: "skin8 train (t); calibrated and selected on v" } };
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
    // The card names the folder its metrics were just measured on, not only the run's own val.
    expect(card.training).toEqual({
      ...source.training,
      data: `${source.training.data}; metrics.val measured on ${join(dir, "val")}`,
    });
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
    expect(same.stderr.trim()).toBe(
      `export-model: --out ${join(dir, "float32")} holds --model ${join(dir, "float32")}: choose an --out outside it`,
    );
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

  it("refuses a --model or --data among the working folders of --out (the names a killed export leaves), and an --out inside --model", async () => {
    const out = join(dir, "y");
    for (const [scratch, outArg] of [
      [`${out}.partial`, out],
      [`${out}.previous`, `${out}/`],
    ] as const) {
      await cp(join(dir, "float32"), scratch, { recursive: true });
      const refused = await exportModel(`--model=${scratch}`, `--out=${outArg}`, `--data=${join(dir, "val")}`);
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim()).toBe(
        `export-model: --out ${outArg} uses the working folder ${scratch} (deleted or renamed as --out is written), which holds --model ${scratch}: choose an --out outside it`,
      );
      expect((await openModelDir(scratch)).card.quantization).toBe("float32");
      expect(existsSync(out)).toBe(false);
      await rm(scratch, { recursive: true });
    }
    await cp(join(dir, "val"), join(dir, "w.partial"), { recursive: true });
    const dataAsScratch = await exportModel(
      `--model=${join(dir, "float32")}`,
      `--out=${join(dir, "w")}`,
      `--data=${join(dir, "w.partial")}`,
    );
    expect(dataAsScratch.stderr.trim()).toBe(
      `export-model: --out ${join(dir, "w")} uses the working folder ${join(dir, "w.partial")} (deleted or renamed as --out is written), which holds --data ${join(dir, "w.partial")}: choose an --out outside it`,
    );
    expect(existsSync(join(dir, "w.partial", SKIN8_CLASS_IDS[0] as string))).toBe(true);
    const inModel = await exportModel(
      `--model=${join(dir, "float32")}`,
      `--out=${join(dir, "float32", "f16")}`,
      `--data=${join(dir, "val")}`,
    );
    expect(inModel.code).toBe(1);
    expect(inModel.stderr).toMatch(/--out .*float32\/f16 is inside --model/);
    expect(existsSync(join(dir, "float32", "f16"))).toBe(false);
  });

  it("refuses a --data that lacks one of the card's classes, whose metrics would be averaged over the rest", async () => {
    const seven = join(dir, "val-without-first");
    await writeSyntheticSet(seven, { classes: SKIN8_CLASS_IDS.slice(1), perClass: Array(7).fill(1), size: 24 });
    const out = join(dir, "seven");
    const refused = await exportModel(`--model=${join(dir, "float32")}`, `--out=${out}`, `--data=${seven}`);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`--data .*val-without-first has no images of ${SKIN8_CLASS_IDS[0]}`));
    expect(existsSync(out)).toBe(false);
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

describe("reexportFields", () => {
  it("ends training.data with the folder measured on, replacing an earlier re-export's note", async () => {
    const card = await exampleCard({ placeholder: new Uint8Array(1) });
    const withData = (data?: string) => ({ ...card, training: { ...card.training, ...(data ? { data } : {}) } });
    const run = "skin8 train (t); calibrated and selected on v";
    expect(reexportFields(withData(run), undefined, "small").training.data).toBe(
      `${run}; metrics.val measured on small`,
    );
    const again = reexportFields(withData(`${run}; metrics.val measured on small`), "2.0.0", "full");
    expect(again.training.data).toBe(`${run}; metrics.val measured on full`);
    expect(again.version).toBe("2.0.0");
    expect(reexportFields(withData(), undefined, "v").training.data).toBe("metrics.val measured on v");
    expect(reexportFields(withData("metrics.val measured on small"), undefined, "v").training.data).toBe(
      "metrics.val measured on v",
    );
  });
});
