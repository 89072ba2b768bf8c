import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SKIN8_CLASS_IDS } from "@pifu/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  augmentedSplit,
  checkCacheSource,
  loadSplit,
  loadStudentLayer,
  presentClasses,
  type SplitData,
  STUDENT_TAPS,
  studentSplit,
  teacherSplit,
  teacherTap,
} from "./data.js";

let cache: string;

/** One cache shard of 2 images × 2 features per view of one layer, as cache-activations.ts writes it. */
async function shard(
  split: string,
  views: string[],
  ids: string[],
  base: number,
  { layer = STUDENT_TAPS.pooled as string, tag = "" } = {},
) {
  const prefix = `${tag}0of1`;
  const dir = join(cache, split);
  await mkdir(dir, { recursive: true });
  const images = ids.map((id, i) => ({
    id,
    path: `/data/acne_rosacea/${id}.jpg`,
    label: "acne_rosacea",
    labelIndex: i,
  }));
  const shapes = { [layer]: [2] };
  await writeFile(
    join(dir, `${prefix}-index.json`),
    JSON.stringify({ spec: { inputSize: 224 }, shapes, variants: views, images }),
  );
  for (const [v, view] of views.entries()) {
    const rows = new Float32Array([base + v, base + v, base + v + 0.5, base + v + 0.5]);
    await writeFile(join(dir, `${prefix}-${view}-${layer}.f32`), rows);
  }
}

beforeAll(async () => {
  cache = await mkdtemp(join(tmpdir(), "pifu-student-data-"));
  await shard(studentSplit(224, "train"), ["id", "h"], ["a", "b"], 0);
  await shard(studentSplit(224, "val"), ["id", "h"], ["a", "b"], 0);
  await shard(augmentedSplit(224, "mild"), ["aug0", "aug1", "aug2"], ["a", "b"], 10);
  await shard(augmentedSplit(224, "other-order"), ["aug0"], ["b", "a"], 20);
  const cut = { layer: STUDENT_TAPS.cut, tag: "cut-" };
  await shard(studentSplit(224, "train"), ["id", "h"], ["a", "b"], 30, cut);
  await shard(studentSplit(224, "val"), ["id", "h"], ["a", "b"], 30, cut);
  await shard(augmentedSplit(224, "cut"), ["aug0", "aug1"], ["a", "b"], 40, cut);
  await shard(teacherSplit("darknet_tiny", "train"), ["id"], ["a", "b"], 100, { layer: "leaky_re_lu_14" });
  await shard(teacherSplit("nsfwjs_mobilenet_v2", "train"), ["id"], ["a", "b"], 200, { layer: "out_relu" });
});
afterAll(() => rm(cache, { recursive: true, force: true }));

describe("loadSplit with augmented views", () => {
  it("adds the cached draws to the flips of the same images", async () => {
    const train = await loadSplit(cache, "train", [], 224, { views: 3, preset: "mild" });
    expect([...train.student.keys()]).toEqual(["id", "h", "aug0", "aug1", "aug2"]);
    expect(Array.from(train.student.get("aug1") ?? [])).toEqual([11, 11, 11.5, 11.5]);
    expect(train.teacher).toBe(train.student);
    const plain = await loadSplit(cache, "train", [], 224);
    expect([...plain.student.keys()]).toEqual(["id", "h"]);
  });

  it("refuses a draw count, an image order or a split that does not match", async () => {
    await expect(loadSplit(cache, "train", [], 224, { views: 8, preset: "mild" })).rejects.toThrow(
      /holds 3 augmented views of out_relu, the run asks for 8/,
    );
    await expect(loadSplit(cache, "train", [], 224, { views: 1, preset: "other-order" })).rejects.toThrow(
      /augmented views: the two caches list different images/,
    );
    await expect(loadSplit(cache, "val", [], 224, { views: 3, preset: "mild" })).rejects.toThrow(/train split only/);
    await expect(loadSplit(cache, "train", [], 224, { views: 3, preset: "strong" })).rejects.toThrow(
      /no cached activations/,
    );
  });
});

describe("loadSplit with teacher backbones", () => {
  it("gives teachers the student's features, then each teacher backbone's unflipped ones, in order", async () => {
    const train = await loadSplit(cache, "train", ["darknet_tiny", "nsfwjs_mobilenet_v2"], 224);
    expect(train.studentWidth).toBe(2);
    expect(train.teacherWidth).toBe(6);
    expect(Array.from(train.teacher.get("h") ?? [])).toEqual([
      1, 1, 100, 100, 200, 200, 1.5, 1.5, 100.5, 100.5, 200.5, 200.5,
    ]);
    expect(Array.from(train.student.get("h") ?? [])).toEqual([1, 1, 1.5, 1.5]);
    const one = await loadSplit(cache, "train", ["darknet_tiny"], 224);
    expect(Array.from(one.teacher.get("id") ?? [])).toEqual([0, 0, 100, 100, 0.5, 0.5, 100.5, 100.5]);
  });

  it("refuses a teacher backbone the registry cannot tap, and one that was never cached", async () => {
    expect(() => teacherTap("mobilenet_v2_0.35")).toThrow(
      /unknown teacher backbone "mobilenet_v2_0.35"; valid: darknet_tiny, nsfwjs_mobilenet_v2, or none/,
    );
    expect(() => teacherTap("../shared/backbones/darknet_tiny_224")).toThrow(/unknown teacher backbone/);
    expect(teacherTap("darknet_tiny")).toMatchObject({ layer: "leaky_re_lu_14", range: [0, 1], inputSize: 224 });
    await expect(loadSplit(cache, "val", ["darknet_tiny"], 224)).rejects.toThrow(/no cached activations/);
  });
});

describe("loadStudentLayer", () => {
  it("adds the draws cached at the cut layer to its flips, for the train split only", async () => {
    const cut = await loadStudentLayer(cache, "train", STUDENT_TAPS.cut, 224, { views: 2, preset: "cut" });
    expect([...cut.variants.keys()]).toEqual(["id", "h", "aug0", "aug1"]);
    expect(Array.from(cut.variants.get("aug1") ?? [])).toEqual([41, 41, 41.5, 41.5]);
    expect([...(await loadStudentLayer(cache, "val", STUDENT_TAPS.cut, 224)).variants.keys()]).toEqual(["id", "h"]);
    await expect(loadStudentLayer(cache, "val", STUDENT_TAPS.cut, 224, { views: 2, preset: "cut" })).rejects.toThrow(
      /train split only/,
    );
  });
});

describe("checkCacheSource", () => {
  const images = [{ id: "a", path: "/data/acne_rosacea/a.jpg", label: "acne_rosacea", labelIndex: 0 }];

  it("accepts a cache built from the run's data folder", () => {
    expect(() => checkCacheSource(images, "/data", "CACHE")).not.toThrow();
    expect(() => checkCacheSource(images, "/data/", "CACHE")).not.toThrow();
  });

  it("refuses a cache built from another data set, naming the folder and the cache", () => {
    expect(() => checkCacheSource(images, "/other", "CACHE")).toThrow(
      /activation cache CACHE was built from another data set .*outside \/other/,
    );
    expect(() => checkCacheSource(images, "/dat", "CACHE")).toThrow(/another data set/);
  });
});

describe("presentClasses", () => {
  /** A split whose labels are these core indices (features are not looked at). */
  const split = (labels: number[]): SplitData => ({
    images: [],
    labels: Int32Array.from(labels),
    student: new Map(),
    studentWidth: 0,
    teacher: new Map(),
    teacherWidth: 0,
  });

  it("keeps the skin8 classes train holds, in core order, and renumbers both splits' labels", () => {
    // Core indices: 1 eczema, 4 psoriasis, 7 warts.
    const run = presentClasses(split([7, 1, 4, 1]), split([4, 7]));
    expect(run.classIds).toEqual(["eczema", "psoriasis", "warts"]);
    expect(Array.from(run.train.labels)).toEqual([2, 0, 1, 0]);
    expect(Array.from(run.val.labels)).toEqual([1, 2]);
    expect(run.missingFromVal).toEqual(["eczema"]);
    const all = presentClasses(split([0, 1, 2, 3, 4, 5, 6, 7]), split([7]));
    expect(all.classIds).toEqual([...SKIN8_CLASS_IDS]);
    expect(Array.from(all.val.labels)).toEqual([7]);
    expect(all.missingFromVal).toEqual(SKIN8_CLASS_IDS.slice(0, 7));
    expect(presentClasses(split([0, 1]), split([1, 0])).missingFromVal).toEqual([]);
  });

  it("refuses val photos of a class train lacks, and a train folder of one class", () => {
    expect(() => presentClasses(split([0, 1]), split([0, 5]))).toThrow(
      /val has photos of seborrheic_dermatitis, which train has none of/,
    );
    expect(() => presentClasses(split([3, 3]), split([3]))).toThrow(/1 class; a model needs 2 or more/);
  });
});
