/**
 * `npm run student` end to end on a tiny generated 8-class set and a MobileNetV2-named fixture
 * backbone: cache → teachers → distilled head → ablation rows → tail fine-tuning on fresh draws →
 * calibration and unsure rule → export in every quantization → the export evaluated as the PWA runs it.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SKIN8_CLASS_IDS, sha256Hex } from "@pifu/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadLayersModelFrom } from "../backbones/load.js";
import { initBackend } from "../backend/index.js";
import { teacherLogitsBin } from "../distill/teacher-logits.js";
import { openModelDir } from "../evaluate/model-dir.js";
import { evaluateModel } from "../evaluate/run.js";
import { runScript, runScriptOk } from "../testing/cli.js";
import { writeMobilenetNamedBackbone, writeSyntheticSet } from "../testing/fixtures.js";
import { writeTeacherLogits } from "../testing/teacher-logits.js";
import type { StudentSummary } from "./pipeline.js";

const INPUT = 32;

let dir: string;
let log: string;
let summary: StudentSummary;

/** The tiny runs' flags, given their data, output and cache folders. */
const runFlags = (train: string, val: string, out: string, cache: string) => [
  `--data=${train}`,
  `--val=${val}`,
  `--out=${out}`,
  `--cache=${cache}`,
  `--backbone=${join(dir, "backbone")}`,
  "--teacher-backbone=none",
  `--input-size=${INPUT}`,
  // Subsets by these tiny counts: many 8, medium 6, few 3–4.
  "--many-at=8",
  "--few-below=5",
  // A head that learns from 49 photos in one batch per epoch.
  "--epochs=40",
  "--lr=0.01",
  "--teacher-epochs=10",
  "--curriculum-balanced=2",
  "--curriculum-ramp=2",
];

beforeAll(async () => {
  await initBackend("wasm");
  dir = await mkdtemp(join(tmpdir(), "pifu-student-run-"));
  const classes = [...SKIN8_CLASS_IDS];
  await writeSyntheticSet(join(dir, "train"), { classes, perClass: [8, 8, 8, 6, 6, 6, 3, 4], size: 40, seed: 1 });
  await writeSyntheticSet(join(dir, "val"), { classes, perClass: classes.map(() => 2), size: 40, seed: 2 });
  await writeMobilenetNamedBackbone(join(dir, "backbone"), INPUT);
  const flags = [
    ...runFlags(join(dir, "train"), join(dir, "val"), join(dir, "run"), join(dir, "cache")),
    "--finetune-epochs=2",
    "--finetune-lr=0.001",
    "--finetune-batch=16",
    "--model-version=0.9.0",
  ];
  log = await runScriptOk("cli/student.ts", flags);
  summary = JSON.parse(await readFile(join(dir, "run", "summary.json"), "utf8")) as StudentSummary;
}, 240_000);

afterAll(() => rm(dir, { recursive: true, force: true }));

describe("npm run student on a tiny generated set", () => {
  it("writes the run whole to --out, naming its folders there, and leaves no unfinished copy", async () => {
    expect((await readdir(dir)).sort()).toEqual(["backbone", "cache", "run", "train", "val"]);
    expect((await readdir(join(dir, "run"))).sort()).toEqual([
      "model",
      "quantization",
      "student-confusion.svg",
      "summary.json",
      "summary.md",
      "val-logits.json",
    ]);
    expect((await readdir(join(dir, "run", "quantization"))).sort()).toEqual(["float32", "uint8"]);
    expect(summary.exported.dir).toBe(join(dir, "run", "model"));
    const { card } = await openModelDir(summary.exported.dir);
    expect(card.training.config.out).toBe(join(dir, "run"));
  });

  it("embeds the cache, forms the subsets by count and fine-tunes the tail after the cut on fresh draws", () => {
    expect(log).toMatch(/cache mnv2-32-train \(block_15_add, out_relu\): embedding/);
    expect(summary.subsets.map((s) => s.name)).toEqual(["many", "medium", "few"]);
    expect(summary.subsets[0]?.classes).toEqual(["acne_rosacea", "eczema", "nail_fungus"]);
    expect(log).toMatch(/fine-tuning block_15_expand, .*Conv_1 \(batch norms frozen\) on a fresh "mild" draw/);
    expect(log).not.toMatch(/fine-tuning [^(]*block_9_/);
    expect(log).toMatch(/fine-tune epoch 2\/2/);
  });

  it("reports every ablation row, the fine-tuned row last, and all three quantizations", () => {
    expect(summary.ablation.map((row) => row.name)).toEqual([
      "chosen configuration (frozen backbone)",
      "no KD, no curriculum",
      "no KD, curriculum",
      "KD, no curriculum",
      "KD from student-feature teachers, curriculum",
      "chosen configuration + tail after block_9_add fine-tuned",
    ]);
    // Chance is 1/8; the generated classes share 4 colours in pairs, so about half is what a head can reach.
    expect(summary.ablation[0]?.accuracy).toBeGreaterThan(0.3);
    expect(summary.quantization.map((q) => q.quantization)).toEqual(["float16", "float32", "uint8"]);
    const bytes = Object.fromEntries(summary.quantization.map((q) => [q.quantization, q.totalBytes]));
    expect(bytes.float16).toBeLessThan(bytes.float32 as number);
  });

  it("exports a float16 folder whose card verifies and which evaluates on val as the summary says", async () => {
    const modelDir = join(dir, "run", "model");
    const { card, model } = await openModelDir(modelDir);
    expect(card).toMatchObject({ version: "0.9.0", quantization: "float16" });
    expect(card.preprocessing.inputSize).toBe(INPUT);
    expect(card.testTimeAugmentation?.flips).toEqual(["id", "h", "v", "hv"]);
    expect(card.calibration.temperature).toBe(summary.calibration.temperature);
    expect(card.unsure).toMatchObject({ score: summary.unsure.score, threshold: summary.unsure.threshold });
    expect(card.training.config.finetuned).toEqual(expect.arrayContaining(["block_15_project", "Conv_1", "head"]));
    expect(card.training.config.finetuned).not.toContain("block_9_project");

    const { result } = await evaluateModel({ model, card, data: join(dir, "val") });
    expect(result.support).toBe(16);
    expect(result.accuracy).toBe(summary.exported.evaluation.accuracy);
    expect(result.macroF1).toBe(summary.exported.evaluation.macroF1);
    expect(result.confusion).toEqual(summary.exported.evaluation.confusion);
  });

  it("exports the fine-tuned tail and leaves the trunk before the cut as the backbone had it", async () => {
    const { model } = await openModelDir(join(dir, "run", "quantization", "float32"));
    const { model: backbone } = await loadLayersModelFrom(join(dir, "backbone"));
    // Folding a freshly initialised batch norm (mean 0, variance 1) scales a kernel by 1/√(1 + ε).
    const relativeChange = (layer: string) => {
      const exported = model.getLayer(layer).getWeights()[0]?.dataSync() ?? [];
      const original = backbone.getLayer(layer).getWeights()[0]?.dataSync() ?? [];
      let change = 0;
      let scale = 0;
      for (const [i, w] of original.entries()) {
        change = Math.max(change, Math.abs((exported[i] as number) - w / Math.sqrt(1 + 1e-3)));
        scale = Math.max(scale, Math.abs(w));
      }
      return change / scale;
    };
    expect(relativeChange("block_9_expand")).toBeLessThan(1e-6);
    expect(relativeChange("block_15_expand")).toBeGreaterThan(1e-3);
    expect(relativeChange("Conv_1")).toBeGreaterThan(1e-3);
  });
});

describe("npm run student on some of the skin8 classes (a leave-one-class-out fold)", () => {
  it("trains, calibrates and exports a model of the classes train holds, which evaluates on their val photos", async () => {
    // The fold links three of the full set's class folders, as a leave-one-class-out fold may.
    const classes = ["eczema", "psoriasis", "warts"];
    const fold = join(dir, "fold");
    for (const split of ["train", "val"]) {
      await mkdir(join(fold, split), { recursive: true });
      for (const c of classes) await symlink(join(dir, split, c), join(fold, split, c));
    }
    // An empty folder made beforehand is a fine --out.
    const out = join(fold, "run");
    await mkdir(out);
    const foldLog = await runScriptOk("cli/student.ts", [
      ...runFlags(join(fold, "train"), join(fold, "val"), out, join(fold, "cache")),
      "--finetune-epochs=0",
      "--no-ablation",
    ]);
    expect(foldLog).toMatch(/classes: eczema, psoriasis, warts \(the skin8 classes the train folder holds\)/);
    expect(foldLog).not.toMatch(/val has no photos of/);
    const foldSummary = JSON.parse(await readFile(join(out, "summary.json"), "utf8")) as StudentSummary;
    // Only a complete run has summary.json (what --overwrite may replace): it is the run's last file.
    const runFiles = (await readdir(out, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
    const modified = await Promise.all(
      runFiles.map(async (entry) => (await stat(join(entry.parentPath, entry.name))).mtimeMs),
    );
    expect(runFiles.length).toBeGreaterThan(5);
    expect((await stat(join(out, "summary.json"))).mtimeMs).toBe(Math.max(...modified));
    expect(foldSummary.subsets.flatMap((s) => s.classes)).toEqual(classes);
    // No seborrhoeic dermatitis in this fold: its F1 column is empty (null), not a 0 that reads as a miss.
    expect(foldSummary.ablation[0]?.seborrheicF1).toBeNull();
    const report = await readFile(join(out, "summary.md"), "utf8");
    expect(report).toMatch(/### Ablation \(.*; val, 6 images\)/);
    expect(report).toMatch(/\| chosen configuration \(frozen backbone\) \|.*\| n\/a \|/);
    const { card, model } = await openModelDir(join(out, "model"));
    expect(card.classes.map((c) => c.id)).toEqual(classes);
    expect(card.intendedUse).toMatch(/ranks 3 common skin conditions/);
    expect(model.outputs[0]?.shape).toEqual([null, 3]);
    const { result } = await evaluateModel({ model, card, data: join(fold, "val") });
    expect(result.support).toBe(6);
    expect(result.confusion).toEqual(foldSummary.exported.evaluation.confusion);

    // Another seed into the same --out replaces the whole run only with --overwrite, every file at once.
    const again = runFlags(join(fold, "train"), join(fold, "val"), out, join(fold, "cache"));
    await runScriptOk("cli/student.ts", [...again, "--finetune-epochs=0", "--no-ablation", "--seed=3", "--overwrite"]);
    const seeds = (...files: string[]) =>
      Promise.all(
        files.map(async (file) => {
          const json = JSON.parse(await readFile(join(out, file), "utf8"));
          return json.training?.seed ?? json.config.seed;
        }),
      );
    expect(
      await seeds(
        "summary.json",
        "model/model-card.json",
        "quantization/float32/model-card.json",
        "quantization/uint8/model-card.json",
      ),
    ).toEqual([3, 3, 3, 3]);
    expect((await readdir(fold)).sort()).toEqual(["cache", "run", "train", "val"]);
  }, 240_000);
});

describe("npm run student distilling an ensemble's soft targets (--teacher-logits)", () => {
  /** A pair for the tiny train set whose teacher says class (label + shift) mod 8 with a wide margin. */
  async function teacherSaying(shift: number, name: string): Promise<string> {
    const photos = SKIN8_CLASS_IDS.flatMap((classId, label) =>
      [...Array(8).keys()].map((i) => ({ id: `${classId}-${i}`, label })),
    );
    const path = join(dir, `${name}.json`);
    await writeTeacherLogits(path, {
      views: ["id", "h", "v", "hv"],
      // Photos the train folder lacks (the tiny set has fewer than 8 of some classes) are ignored.
      ids: photos.map((p) => p.id),
      classes: [...SKIN8_CLASS_IDS],
      logit: (_, i, c) => (c === ((photos[i]?.label as number) + shift) % 8 ? 8 : 0),
      models: ["mnv2-s1", "darknet-s1"],
    });
    return path;
  }
  const distilled = async (teacher: string, out: string, extra: string[] = []) => {
    const runLog = await runScriptOk("cli/student.ts", [
      ...runFlags(join(dir, "train"), join(dir, "val"), join(dir, out), join(dir, "cache")).filter(
        (flag) => !flag.startsWith("--teacher-backbone"),
      ),
      // No feature teacher is trained, so its backbone (../shared's, absent here) is neither cached nor read.
      "--teacher-backbone=darknet_tiny",
      `--teacher-logits=${teacher}`,
      "--finetune-epochs=0",
      "--no-ablation",
      ...extra,
    ]);
    const runSummary = JSON.parse(await readFile(join(dir, out, "summary.json"), "utf8")) as StudentSummary;
    return { runLog, runSummary };
  };
  /** Share of val photos predicted as class (label + shift) mod 8. */
  const sayingShare = (confusion: number[][], shift: number) =>
    confusion.reduce((sum, row, label) => sum + (row[(label + shift) % 8] ?? 0), 0) /
    confusion.flat().reduce((a, b) => a + b, 0);

  it("learns from the file in place of per-subset teachers and records it in the card", async () => {
    const teacher = await teacherSaying(0, "ensemble");
    const { runLog, runSummary } = await distilled(teacher, "run-ensemble");
    expect(runLog).toMatch(/KD targets: .*ensemble\.json \(mean of 2 models: mnv2-s1, darknet-s1\)/);
    expect(runLog).not.toMatch(/teacher many/);
    expect(runLog).not.toMatch(/darknet_tiny/);
    expect(runSummary.teachers).toEqual([]);
    expect(await readFile(join(dir, "run-ensemble", "summary.md"), "utf8")).toContain(
      `### Teachers\n\nNone trained: the student distils the soft targets in ${teacher}.`,
    );
    expect(runSummary.ablation[0]?.kd).toBe("ensemble soft targets (2 models)");
    expect(sayingShare(runSummary.exported.evaluation.confusion, 0)).toBeGreaterThan(0.3);
    const { card } = await openModelDir(join(dir, "run-ensemble", "model"));
    expect(card.description).toMatch(/distilled from ensemble soft targets \(2 models\)/);
    expect(card.training.config.teacherLogits).toBe(teacher);
    expect(card.training.config.teacherLogitsSource).toEqual({
      binSha256: await sha256Hex(await readFile(teacherLogitsBin(teacher))),
      models: ["mnv2-s1", "darknet-s1"],
    });
  }, 120_000);

  it("matches each photo to its own row: a teacher one class off, weighted heavily, moves the student one class off", async () => {
    const { runSummary } = await distilled(await teacherSaying(1, "shifted"), "run-shifted", [
      "--kd-alpha=20",
      "--kd-temperature=1",
    ]);
    const confusion = runSummary.exported.evaluation.confusion;
    expect(sayingShare(confusion, 1)).toBeGreaterThan(0.3);
    expect(sayingShare(confusion, 1)).toBeGreaterThan(sayingShare(confusion, 0));
  }, 120_000);

  it("refuses a file that lacks train photos before caching, and leaves no run folder behind", async () => {
    const partial = join(dir, "partial.json");
    await writeTeacherLogits(partial, {
      views: ["id"],
      ids: ["eczema-0", "eczema-1"],
      classes: [...SKIN8_CLASS_IDS],
      logit: () => 0,
    });
    const { code, stderr } = await runScript("cli/student.ts", [
      ...runFlags(join(dir, "train"), join(dir, "val"), join(dir, "run-partial"), join(dir, "cache-partial")),
      `--teacher-logits=${partial}`,
      "--no-ablation",
    ]);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/partial\.json has no logits for 47 of the 49 train photos/);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect((await readdir(dir)).filter((name) => name.startsWith("run-partial") || name === "cache-partial")).toEqual(
      [],
    );
  }, 60_000);
});
