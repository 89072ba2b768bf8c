import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, type TrainConfig } from "../train/config.js";
import { configDifferences, readSavedRun } from "./ablation-reuse.js";

const config: TrainConfig = { ...DEFAULT_CONFIG, data: "data/train", val: "data/val", out: "runs/a" };
/** As run.json holds it. */
const saved = (changes: Partial<TrainConfig> = {}) =>
  JSON.parse(JSON.stringify({ ...config, ...changes })) as TrainConfig;

describe("configDifferences", () => {
  it("finds none for the same settings, however the paths are spelled or where the run went", () => {
    const moved = saved({
      data: resolve("data/train"),
      out: "/elsewhere",
      cacheDir: "/cache",
      workers: 0,
      resume: true,
    });
    expect(configDifferences(moved, config)).toEqual([]);
  });

  it("names each setting that changed what the run computed, with both values", () => {
    expect(configDifferences(saved({ seed: 1, data: "other/train" }), config)).toEqual([
      "seed 1 → 42",
      'data "other/train" → "data/train"',
    ]);
    expect(configDifferences(saved({ loss: { ...config.loss, kind: "focal" } }), config)).toEqual(["loss"]);
    expect(configDifferences(saved({ inputSize: 160 }), config)).toEqual(["inputSize 160 → unset"]);
  });
});

describe("readSavedRun", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "pifu-ablation-reuse-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("reads a row's run.json with its folder, nothing where there is none, and names a broken one", async () => {
    expect(await readSavedRun(join(dir, "none"))).toBeUndefined();
    await mkdir(join(dir, "ok"));
    await writeFile(join(dir, "ok", "run.json"), JSON.stringify({ config: saved(), bestEpoch: 3 }));
    expect(await readSavedRun(join(dir, "ok"))).toMatchObject({ bestEpoch: 3, outDir: join(dir, "ok") });
    await mkdir(join(dir, "broken"));
    await writeFile(join(dir, "broken", "run.json"), "{ bestEpoch");
    await expect(readSavedRun(join(dir, "broken"))).rejects.toThrow(`${join(dir, "broken", "run.json")} is not JSON`);
    await writeFile(join(dir, "broken", "run.json"), "{}");
    await expect(readSavedRun(join(dir, "broken"))).rejects.toThrow(
      /has no config\); delete it or pass another --runs/,
    );
  });
});
