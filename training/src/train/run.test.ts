/**
 * End to end on generated data: real images, a tiny real tfjs backbone, the worker pool, the
 * feature cache, the training loop, checkpoints and the run folder.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadLayersModelFrom } from "../backbones/index.js";
import { initBackend } from "../backend/index.js";
import { writeSyntheticSet, writeTinyBackbone } from "../testing/fixtures.js";
import { DEFAULT_CONFIG, type TrainConfig } from "./config.js";
import { runTraining } from "./run.js";

let dir: string;
let base: TrainConfig;
const classes = ["acne_rosacea", "eczema", "nail_fungus"];

beforeAll(async () => {
  await initBackend("wasm");
  dir = await mkdtemp(join(tmpdir(), "pifu-train-"));
  await writeSyntheticSet(join(dir, "train"), { classes, perClass: [14, 10, 8], broken: true, seed: 1 });
  await writeSyntheticSet(join(dir, "val"), { classes, perClass: [5, 5, 5], sources: ["a", "b"], seed: 2 });
  await writeTinyBackbone(join(dir, "backbone"));
  base = {
    ...DEFAULT_CONFIG,
    data: join(dir, "train"),
    val: join(dir, "val"),
    backbones: [join(dir, "backbone")],
    range: [0, 1],
    inputSize: 16,
    backend: "wasm",
    workers: 0,
    cacheDir: join(dir, "cache"),
    epochs: 12,
    batchSize: 8,
    learningRate: 0.02,
    patience: 0,
    out: join(dir, "run-a"),
  };
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("runTraining", () => {
  it("learns generated images, skips broken files and writes the run folder", async () => {
    const run = await runTraining(base);
    const history = run.history;
    expect(history).toHaveLength(12);
    expect((history.at(-1)?.trainLoss as number) < (history[0]?.trainLoss as number)).toBe(true);
    expect(run.evaluation.metrics.accuracy).toBeGreaterThan(0.6);
    expect(run.trainImages).toBe(32);
    const skipped = run.skipped.map((s) => s.path.split("/").at(-1)).sort();
    expect(skipped).toEqual(["corrupt.jpg", "notes.txt", "truncated.jpg"]);
    expect(run.evaluation.metrics.perSource?.a?.support).toBe(8);
    for (const file of [
      "model/model.json",
      "model/group1-shard1of1.bin",
      "run.json",
      "report.md",
      "curves.svg",
      "confusion.svg",
    ]) {
      expect(existsSync(join(run.outDir, file)), file).toBe(true);
    }
    const report = await readFile(join(run.outDir, "report.md"), "utf8");
    expect(report).toContain("corrupt.jpg");
  }, 120_000);

  it("gives identical metrics for the same seed, embedding in 2 worker threads, then from the cache", async () => {
    const cacheDir = join(dir, "cache-2");
    const again = await runTraining({ ...base, out: join(dir, "run-b"), workers: 2, cacheDir });
    const first = JSON.parse(await readFile(join(dir, "run-a", "run.json"), "utf8"));
    expect(again.cachedShare).toBe(0);
    expect(again.evaluation.metrics).toEqual(first.evaluation.metrics);
    expect(again.history.map((h) => h.trainLoss)).toEqual(first.history.map((h: { trainLoss: number }) => h.trainLoss));
    const cached = await runTraining({ ...base, out: join(dir, "run-b2"), workers: 2, cacheDir });
    // Every decodable image comes from the cache; the two broken files are retried (and fail) again.
    expect(cached.cachedShare).toBeCloseTo((32 + 15) / (34 + 15), 12);
    expect(cached.evaluation.metrics).toEqual(first.evaluation.metrics);
  }, 120_000);

  it("mixes in pixel space with augmentation and resumes from a checkpoint", async () => {
    const config: TrainConfig = {
      ...base,
      out: join(dir, "run-c"),
      mix: "cutmix",
      augment: "strong",
      augmentCopies: 1,
      epochs: 4,
      head: { hidden: [16], dropout: 0.2 },
      loss: { ...base.loss, kind: "focal", weighting: "inverse" },
    };
    const full = await runTraining(config);
    // Plain + augmented rows for the 32 good images, plus mixed rows whose partner also decoded.
    expect(full.trainRows).toBeGreaterThan(32 * 2);
    expect(full.trainRows).toBeLessThanOrEqual(32 * 3);
    // Interrupt a run after epoch 2 (as a kill would), then resume it.
    const interrupted = runTraining(
      { ...config, out: join(dir, "run-d") },
      {
        onEpoch: (r) => {
          if (r.epoch === 2) throw new Error("interrupted");
        },
      },
    );
    await expect(interrupted).rejects.toThrow("interrupted");
    const resumed = await runTraining({ ...config, out: join(dir, "run-d"), resume: true });
    expect(resumed.history).toHaveLength(4);
    expect(resumed.resumedFrom).toBe(2);
    // Adam's restored β-powers are recomputed as β^t rather than multiplied up, so allow float noise.
    for (const [i, h] of resumed.history.entries()) {
      expect(h.trainLoss).toBeCloseTo(full.history[i]?.trainLoss as number, 5);
    }
    expect(resumed.evaluation.metrics.accuracy).toBeCloseTo(full.evaluation.metrics.accuracy, 5);
  }, 180_000);

  it("fine-tunes from a named layer onward on cached activations, with the wasm gradient kernels", async () => {
    const run = await runTraining({
      ...base,
      out: join(dir, "run-ft"),
      finetuneFrom: "tiny_conv1",
      epochs: 8,
      learningRate: 0.01,
    });
    expect((run.history.at(-1)?.trainLoss as number) < (run.history[0]?.trainLoss as number)).toBe(true);
    expect(run.evaluation.metrics.accuracy).toBeGreaterThan(1 / 3);
    const model = await loadLayersModelFrom(join(run.outDir, "model"));
    expect(model.model.inputs[0]?.shape).toEqual([null, 16, 16, 3]);
    expect(model.model.outputs[0]?.shape).toEqual([null, 3]);
    await expect(runTraining({ ...base, out: join(dir, "run-ft-bad"), finetuneFrom: "nope" })).rejects.toThrow(
      /tiny_conv1/,
    );
  }, 120_000);
});
