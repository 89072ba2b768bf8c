/** The cached inputs of a student run: student features (+ cut activations) and teacher features. */

import { relative, resolve } from "node:path";
import { SKIN8_CLASS_IDS } from "@pifu/core";
import { BackboneError } from "../backbones/cut.js";
import { BACKBONES } from "../backbones/registry.js";
import { type CachedImage, concatRows, readCachedSplit, type ViewName } from "./cache-store.js";

/** The student backbone's cache split prefix and tapped layers. */
export const STUDENT_TAPS = { prefix: "mnv2", pooled: "out_relu", cut: "block_15_add" } as const;

/** A teacher backbone as the cache embeds it: its registry name, location, pooled layer and input. */
export interface TeacherTap {
  name: string;
  location: string;
  layer: string;
  range: readonly [number, number];
  inputSize: number;
}

/** The teacher tap of a registry backbone that names a layer to pool (`--teacher-backbone`); throws for any other name. */
export function teacherTap(name: string): TeacherTap {
  const spec = BACKBONES[name]?.().spec;
  // MobileNetV2-0.35, the student, names no layer, so it is not offered.
  if (spec?.layer === undefined) {
    const valid = Object.keys(BACKBONES).filter((known) => BACKBONES[known]?.().spec.layer !== undefined);
    throw new BackboneError(`unknown teacher backbone "${name}"; valid: ${valid.join(", ")}, or none`);
  }
  const { range, inputSize } = spec.preprocess;
  return { name, location: spec.location, layer: spec.layer, range, inputSize };
}

/** The cache split holding a teacher backbone's pooled features of `split`'s photos. */
export function teacherSplit(name: string, split: "train" | "val"): string {
  return `${name}-${split}`;
}

/** The cache split holding the student backbone's activations for images fed at `inputSize` px. */
export function studentSplit(inputSize: number, split: "train" | "val"): string {
  return `${STUDENT_TAPS.prefix}-${inputSize}-${split}`;
}

/** The cache split holding `--augment` views of the train images (random draws of `preset`). */
export function augmentedSplit(inputSize: number, preset: string): string {
  return `${studentSplit(inputSize, "train")}-aug-${preset}`;
}

export interface SplitData {
  images: CachedImage[];
  labels: Int32Array;
  /** Pooled student-backbone features per variant, [n, studentWidth]. */
  student: Map<ViewName, Float32Array>;
  studentWidth: number;
  /** Teacher features (student features, then each teacher backbone's in order), [n, teacherWidth]. */
  teacher: Map<ViewName, Float32Array>;
  teacherWidth: number;
}

function sameOrder(a: readonly CachedImage[], b: readonly CachedImage[], what: string): void {
  if (a.length !== b.length || a.some((img, i) => img.path !== b[i]?.path)) {
    throw new Error(`${what}: the two caches list different images; rebuild them from the same folder`);
  }
}

export async function loadSplit(
  cache: string,
  split: "train" | "val",
  /** Registry names of the backbones whose cached features teachers add beside the student's. */
  teacherBackbones: readonly string[],
  inputSize: number,
  /** Also load this many cached augmentation draws per image (train only). */
  augmented: { views: number; preset: string } = { views: 0, preset: "none" },
): Promise<SplitData> {
  const student = await loadStudentLayer(cache, split, STUDENT_TAPS.pooled, inputSize, augmented);
  const studentWidth = student.shape[0] as number;
  const labels = Int32Array.from(student.images, (img) => img.labelIndex);
  let teacher = student.variants;
  let teacherWidth = studentWidth;
  for (const name of teacherBackbones) {
    const extra = await readCachedSplit(cache, teacherSplit(name, split), teacherTap(name).layer);
    sameOrder(student.images, extra.images, split);
    const extraWidth = extra.shape[0] as number;
    const widened = new Map<ViewName, Float32Array>();
    for (const [variant, data] of teacher) {
      // Variants the teacher backbone was not run on reuse its unflipped features.
      const other = extra.variants.get(variant) ?? extra.variants.get("id");
      if (!other) throw new Error(`teacher cache ${teacherSplit(name, split)} lacks the unflipped variant`);
      widened.set(variant, concatRows(data, teacherWidth, other, extraWidth));
    }
    teacher = widened;
    teacherWidth += extraWidth;
  }
  return { images: student.images, labels, student: student.variants, studentWidth, teacher, teacherWidth };
}

/**
 * One layer of the student backbone's cached split (pooled features, or a fine-tuned tail's cut),
 * plus `augmented.views` cached draws per image (train only; see `augmentedSplit`).
 */
export async function loadStudentLayer(
  cache: string,
  split: "train" | "val",
  layer: string,
  inputSize: number,
  augmented: { views: number; preset: string } = { views: 0, preset: "none" },
) {
  if (augmented.views > 0 && split !== "train") throw new Error("augmented views are cached for the train split only");
  const cached = await readCachedSplit(cache, studentSplit(inputSize, split), layer, inputSize);
  if (augmented.views === 0) return cached;
  const name = augmentedSplit(inputSize, augmented.preset);
  const draws = await readCachedSplit(cache, name, layer, inputSize);
  sameOrder(cached.images, draws.images, "augmented views");
  if (draws.variants.size !== augmented.views)
    throw new Error(
      `${name} holds ${draws.variants.size} augmented views of ${layer}, the run asks for ${augmented.views}; delete it to re-embed`,
    );
  for (const [view, rows] of draws.variants) cached.variants.set(view, rows);
  return cached;
}

/**
 * Throws unless every cached image lies in `dir`: cache splits are named by backbone, input size and
 * split, not by data folder, so a cache built from another data set would otherwise be trained on.
 */
export function checkCacheSource(images: readonly CachedImage[], dir: string, cache: string): void {
  const root = resolve(dir);
  const outside = images.find((image) => relative(root, resolve(image.path)).startsWith(".."));
  if (outside)
    throw new Error(
      `the activation cache ${cache} was built from another data set (it holds ${outside.path}, outside ${root}); pass --cache with a fresh folder or delete it`,
    );
}

/** A student run's splits with their labels renumbered to index `classIds`. */
export interface RunClasses {
  /** The skin8 class ids the run trains on, in core order. */
  classIds: string[];
  train: SplitData;
  val: SplitData;
  /** Run classes val has no photos of: its metrics, macro averages, temperature and unsure rule leave them out. */
  missingFromVal: string[];
}

/**
 * The core indices of the skin8 classes train has photos of, in core order, given each split's core
 * labels. Val photos of a class train lacks are refused, since no output could name them.
 */
export function runClassIndices(trainLabels: Iterable<number>, valLabels: Iterable<number>): number[] {
  const present = [...new Set(trainLabels)].sort((a, b) => a - b);
  if (present.length < 2)
    throw new Error(`the train folder holds photos of ${present.length} class; a model needs 2 or more`);
  const known = new Set(present);
  const strays = [...new Set(valLabels)].filter((label) => !known.has(label));
  if (strays.length > 0)
    throw new Error(
      `val has photos of ${strays.map((label) => SKIN8_CLASS_IDS[label]).join(", ")}, which train has none of; add train photos or remove them from val`,
    );
  return present;
}

/**
 * The skin8 classes the train folder has photos of (`runClassIndices`), with both splits' labels
 * (core indices in the cache) renumbered to index them: a data set may hold any of the 8 classes,
 * such as a leave-one-class-out fold.
 */
export function presentClasses(train: SplitData, val: SplitData): RunClasses {
  const present = runClassIndices(train.labels, val.labels);
  const renumber = new Map(present.map((coreIndex, runIndex) => [coreIndex, runIndex]));
  const relabel = (split: SplitData): SplitData => ({
    ...split,
    labels: Int32Array.from(split.labels, (label) => renumber.get(label) as number),
  });
  const classIds = present.map((label) => SKIN8_CLASS_IDS[label] as string);
  const inVal = new Set(val.labels);
  return {
    classIds,
    train: relabel(train),
    val: relabel(val),
    missingFromVal: classIds.filter((_, runIndex) => !inVal.has(present[runIndex] as number)),
  };
}
