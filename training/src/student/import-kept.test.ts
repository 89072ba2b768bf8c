/**
 * Importing a student trained outside tfjs (experiments/torch-gpu's NAME.bin + results.json): the
 * weights go in by name with every one accounted for, and `npm run import-student` turns them into a
 * model folder that predicts what the trained network predicted, through the PWA's preprocessing.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { type ModelCard, meanOverViews, preprocess, testTimeFlips, viewBatch } from "@pifu/core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend, tf } from "../backend/index.js";
import { decodeImage, readDataset } from "../data/index.js";
import { openModelDir } from "../evaluate/model-dir.js";
import { runCli } from "../testing/cli.js";
import { mobilenetNamedNetwork, writeMobilenetNamedBackbone, writeSyntheticSet } from "../testing/fixtures.js";
import { buildHead } from "../train/head.js";
import { assembleStudent } from "./assemble.js";
import type { ImportSummary } from "./import-kept.js";
import { KeptWeightsError, keptBytesOf, loadWeightsByName, splitKeptBytes } from "./kept-weights.js";

const INPUT = 32;
const CLASSES = ["acne_rosacea", "eczema", "nevus"];

let dir: string;

/** A "GPU-trained" student: the fixture network with a head, weights drawn from seeds the import never sees. */
function trainedStudent(seed: number): tfl.LayersModel {
  const network = mobilenetNamedNetwork(INPUT);
  for (const variable of network.weights) {
    if (variable.originalName.endsWith("moving_variance")) continue;
    tf.tidy(() => {
      variable.write(tf.randomNormal(variable.shape as number[], 0, 0.3, "float32", seed++));
    });
  }
  return assembleStudent(network, buildHead(16, CLASSES.length, { hidden: [6], dropout: 0.3 }, seed));
}

/** Writes OUT/NAME.bin and OUT/results.json as train.py does; returns the .bin path. */
async function writeKept(
  model: tfl.LayersModel,
  out: string,
  name: string,
  kind = "mobilenet_v2_0.35",
  moreSpec: Record<string, unknown> = {},
) {
  const { bytes, layout } = keptBytesOf(model);
  await mkdir(out, { recursive: true });
  await writeFile(join(out, `${name}.bin`), bytes);
  const results = {
    gpu: "test GPU",
    torch: "0.0",
    runs: { [name]: { spec: { kind, seed: 5, ...moreSpec }, epochs: 3, weights: layout } },
  };
  await writeFile(join(out, "results.json"), JSON.stringify(results));
  return join(out, `${name}.bin`);
}

const largestDifference = (a: readonly number[], b: readonly number[]) => {
  expect(a.length).toBe(b.length);
  return Math.max(...a.map((value, i) => Math.abs(value - (b[i] as number))));
};

/** The model's logits on the val photos, averaged over the card's flips, through core's preprocessing. */
async function logitsOn(model: tfl.LayersModel, card: ModelCard, paths: string[]) {
  const flips = testTimeFlips(card);
  const k = CLASSES.length;
  const rows: number[] = [];
  for (const path of paths) {
    const batch = viewBatch(preprocess(await decodeImage(path), card.preprocessing), INPUT, flips);
    const out = tf.tidy(() => model.predict(tf.tensor4d(batch, [flips.length, INPUT, INPUT, 3])) as tf.Tensor);
    rows.push(...meanOverViews((await out.data()) as Float32Array, flips.length, k));
    out.dispose();
  }
  return rows;
}

beforeAll(async () => {
  await initBackend("wasm");
  dir = await mkdtemp(join(tmpdir(), "pifu-import-"));
  await writeMobilenetNamedBackbone(join(dir, "backbone"), INPUT);
  await writeSyntheticSet(join(dir, "val"), { classes: CLASSES, perClass: [4, 4, 3], size: 40, seed: 3, broken: true });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("kept weights", () => {
  it("go into a freshly built network by name and give the trained network's outputs", () => {
    const trained = trainedStudent(100);
    const { bytes, layout } = keptBytesOf(trained);
    const fresh = trainedStudent(900);
    const x = tf.randomUniform([2, INPUT, INPUT, 3], -1, 1, "float32", 1);
    const before = (fresh.predict(x) as tf.Tensor).arraySync();
    loadWeightsByName(fresh, splitKeptBytes(bytes, layout, "test.bin"));
    const want = (trained.predict(x) as tf.Tensor).arraySync() as number[][];
    const got = (fresh.predict(x) as tf.Tensor).arraySync() as number[][];
    expect(got).not.toEqual(before);
    expect(largestDifference(got.flat(), want.flat())).toBeLessThan(1e-6);
  });

  it("refuse a .bin cut short or longer than its layout", () => {
    const { bytes, layout } = keptBytesOf(trainedStudent(1));
    expect(() => splitKeptBytes(bytes.subarray(0, bytes.length - 8), layout, "a.bin")).toThrow(/a\.bin.*cut short/);
    const longer = new Uint8Array(bytes.length + 4);
    longer.set(bytes);
    expect(() => splitKeptBytes(longer, layout, "a.bin")).toThrow(/longer than its layout/);
  });

  it("refuse a file that lacks a weight, holds one the model lacks, or shapes one differently", () => {
    const model = trainedStudent(2);
    const { bytes, layout } = keptBytesOf(model);
    const weights = () => splitKeptBytes(bytes, layout, "b.bin");
    const missing = weights();
    missing.delete("Conv1/kernel");
    expect(() => loadWeightsByName(model, missing)).toThrow(/missing from the file: Conv1\/kernel/);
    const extra = weights();
    extra.set("block_99_project/kernel", { shape: [1], values: new Float32Array(1) });
    expect(() => loadWeightsByName(model, extra)).toThrow(/not in the model: block_99_project\/kernel/);
    const misshapen = weights();
    misshapen.set("head_logits/bias", { shape: [CLASSES.length + 1], values: new Float32Array(CLASSES.length + 1) });
    expect(() => loadWeightsByName(model, misshapen)).toThrow(
      /head_logits\/bias is \[4\] in the file, \[3\] in the model/,
    );
    expect(() => loadWeightsByName(model, misshapen)).toThrow(KeptWeightsError);
  });
});

describe("npm run import-student", () => {
  let trained: tfl.LayersModel;
  let summary: ImportSummary;

  beforeAll(async () => {
    trained = trainedStudent(300);
    // As distil.py records a network distilled from soft targets.
    const weights = await writeKept(trained, join(dir, "gpu"), "mnv2-s1", "mobilenet_v2_0.35", {
      init: "gpu-call/mnv2-s1.bin",
      targetModels: ["a", "b"],
    });
    const { code, stderr } = await runCli("import-student", [
      `--weights=${weights}`,
      `--val=${join(dir, "val")}`,
      `--out=${join(dir, "import")}`,
      `--backbone=${join(dir, "backbone")}`,
      `--input-size=${INPUT}`,
      "--model-version=1.4.0-rc.1",
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    summary = JSON.parse(await readFile(join(dir, "import", "summary.json"), "utf8"));
  }, 120_000);

  it("exports a folder that predicts what the trained network predicts, through the PWA's preprocessing", async () => {
    const { card, model } = await openModelDir(join(dir, "import", "quantization", "float32"));
    const skipped = new Set(summary.skipped.map((file) => file.path));
    const paths = (await readDataset(join(dir, "val"))).items.map((item) => item.path).filter((p) => !skipped.has(p));
    expect(paths).toHaveLength(11);
    const want = await logitsOn(trained, card, paths);
    const got = await logitsOn(model, card, paths);
    model.dispose();
    // Folded batch norms round differently; the logits themselves are of order 1–10.
    expect(largestDifference(got, want)).toBeLessThan(1e-3);
  });

  it("writes a calibrated, validated float16 card naming where the weights came from", async () => {
    const { card, model } = await openModelDir(join(dir, "import", "model"));
    model.dispose();
    expect(card.quantization).toBe("float16");
    expect(card.version).toBe("1.4.0-rc.1");
    expect(card.classes.map((c) => c.id)).toEqual(CLASSES);
    expect(card.calibration.temperature).toBe(summary.calibration.temperature);
    expect(card.unsure).toEqual({
      score: summary.unsure.score,
      threshold: summary.unsure.threshold,
      coverage: summary.unsure.coverage,
    });
    expect(card.backbone.source).toContain("test GPU, PyTorch 0.0");
    expect(card.description).toContain(
      "trained whole from ImageNet in PyTorch (experiments/torch-gpu gpu-call/mnv2-s1.bin), then distilled from 2 networks' soft targets (run mnv2-s1) on skin8, imported",
    );
    expect(card.training.config).toMatchObject({ importedFrom: { run: "mnv2-s1", spec: { seed: 5 }, epochs: 3 } });
    expect(card.metrics.val.support).toBe(11);
    // The corrupt and truncated photos and the text file are named, not counted.
    expect(summary.skipped.map((file) => basename(file.path)).sort()).toEqual([
      "corrupt.jpg",
      "notes.txt",
      "truncated.jpg",
    ]);
    expect(summary.source.sha256).toMatch(/^[0-9a-f]{64}$/);
    const markdown = await readFile(join(dir, "import", "summary.md"), "utf8");
    expect(markdown).toContain(summary.source.sha256);
    expect(markdown).toContain("### The shipped model on val");
    expect(await readFile(join(dir, "import", "student-confusion.svg"), "utf8")).toContain("<svg");
    const float32 = summary.quantization.find((q) => q.quantization === "float32")?.macroF1 as number;
    const float16 = summary.quantization.find((q) => q.quantization === "float16")?.macroF1 as number;
    expect(Math.abs(float16 - float32)).toBeLessThanOrEqual(0.005);
  });

  it("refuses a Tiny Darknet run, a cut-short .bin and a val folder of other classes before claiming --out", async () => {
    const teacher = await writeKept(trainedStudent(4), join(dir, "teacher"), "darknet-s1", "darknet_tiny");
    const cut = await writeKept(trainedStudent(5), join(dir, "cut"), "mnv2-s2");
    const bytes = await readFile(cut);
    await writeFile(cut, bytes.subarray(0, bytes.length - 40));
    const otherVal = join(dir, "val-other");
    await writeSyntheticSet(otherVal, { classes: ["acne_rosacea", "warts"], perClass: [2, 2], size: 40 });
    const good = join(dir, "gpu", "mnv2-s1.bin");
    const cases: [string, string, RegExp][] = [
      [teacher, join(dir, "val"), /darknet_tiny run; only mobilenet_v2_0\.35 students are imported/],
      [cut, join(dir, "val"), /cut short/],
      [good, otherVal, /must hold the 3 skin8 class folders/],
    ];
    for (const [weights, val, message] of cases) {
      const out = join(dir, "refused");
      const { code, stderr } = await runCli("import-student", [
        `--weights=${weights}`,
        `--val=${val}`,
        `--out=${out}`,
        `--backbone=${join(dir, "backbone")}`,
        `--input-size=${INPUT}`,
        "--model-version=1.4.0",
      ]);
      expect(code).not.toBe(0);
      expect(stderr).toMatch(message);
      expect(stderr).not.toMatch(/\n\s+at /);
      // Nothing is left behind (the CLI refuses these before it claims --out).
      expect(existsSync(out)).toBe(false);
      expect(existsSync(`${out}.partial`)).toBe(false);
    }
  }, 120_000);
});
