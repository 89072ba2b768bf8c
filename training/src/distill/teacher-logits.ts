/**
 * Soft targets computed elsewhere: an ensemble's mean logits on every train photo in each flip view,
 * as experiments/torch-gpu writes them (`train.py --plan teachers`, `teacher_logits.py`):
 *   NAME.json  { views, ids, classes, shape: [views, photos, classes], models }
 *   NAME.bin   float32 little-endian [views, photos, classes], photos in `ids` order
 * A student distils from them as from one all-class teacher (kd-loss.ts with every class in the mask).
 */

import { readFile } from "node:fs/promises";
import { FLIP_VARIANTS, SKIN8_CLASS_IDS, sha256Hex } from "@pifu/core";
import { z } from "zod";
import { type DatasetItem, decodeBytes, readDataset, SKIN8_ONLY } from "../data/index.js";
import { parseJsonFrom } from "../fs/parse-json.js";
import type { ViewName } from "../student/cache-store.js";
import type { KdTargets } from "./trainer.js";

export class TeacherLogitsError extends Error {
  override name = "TeacherLogitsError";
}

const count = z.number().int().positive();

const TeacherLogitsIndexSchema = z
  .strictObject({
    views: z
      .array(z.enum(FLIP_VARIANTS))
      .min(1)
      .refine((views) => new Set(views).size === views.length, "views must not repeat")
      .refine((views) => views.includes("id"), 'views must include "id" (the unflipped photo)'),
    ids: z
      .array(z.string().min(1))
      .min(1)
      .refine((ids) => new Set(ids).size === ids.length, "photo ids must not repeat"),
    classes: z
      .array(z.enum(SKIN8_CLASS_IDS as unknown as [string, ...string[]]))
      .min(2)
      .refine((classes) => new Set(classes).size === classes.length, "classes must not repeat"),
    shape: z.tuple([count, count, count]),
    models: z.array(z.string()).min(1),
  })
  .refine((index) => index.shape[0] === index.views.length, "shape[0] must be the number of views")
  .refine((index) => index.shape[1] === index.ids.length, "shape[1] must be the number of photo ids")
  .refine((index) => index.shape[2] === index.classes.length, "shape[2] must be the number of classes");

export type TeacherLogitsIndex = z.infer<typeof TeacherLogitsIndexSchema>;

/** The .bin beside a teacher-logits .json. */
export const teacherLogitsBin = (jsonPath: string): string => `${jsonPath.replace(/\.json$/, "")}.bin`;

export interface TeacherLogits {
  /** The .json read, and the sha256 of the .bin beside it (the card records both). */
  file: string;
  binSha256: string;
  index: TeacherLogitsIndex;
  /** View → logits [photos, classes] in `index.ids` order. */
  logits: Map<ViewName, Float32Array>;
}

/** Reads and checks a teacher-logits pair; `jsonPath` names the .json, the .bin lies beside it. */
export async function readTeacherLogits(jsonPath: string): Promise<TeacherLogits> {
  if (!jsonPath.endsWith(".json")) throw new TeacherLogitsError(`${jsonPath}: give the .json of a teacher-logits pair`);
  const binPath = teacherLogitsBin(jsonPath);
  // One after the other, so a missing pair is always named by its .json (read together, whichever
  // file failed first named it).
  const text = await readOrExplain(jsonPath);
  const bytes = await readOrExplain(binPath);
  let parsed: unknown;
  try {
    parsed = parseJsonFrom(jsonPath, text.toString("utf8"));
  } catch (error) {
    throw new TeacherLogitsError((error as Error).message);
  }
  const checked = TeacherLogitsIndexSchema.safeParse(parsed);
  if (!checked.success)
    throw new TeacherLogitsError(
      `${jsonPath}: ${checked.error.issues.map((i) => `${i.path.join(".") || "file"}: ${i.message}`).join("; ")}`,
    );
  const index = checked.data;
  const [views, photos, classes] = index.shape;
  const expected = views * photos * classes * Float32Array.BYTES_PER_ELEMENT;
  if (bytes.length !== expected)
    throw new TeacherLogitsError(
      `${binPath} holds ${bytes.length} bytes; its .json's shape [${index.shape.join(", ")}] needs ${expected} (a copy cut short?)`,
    );
  // A copy keeps the floats 4-byte aligned whatever offset the Buffer has in its pool.
  const all = new Float32Array(new Uint8Array(bytes).buffer);
  const bad = all.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) throw new TeacherLogitsError(`${binPath}: value ${bad} is ${all[bad]}, not a finite logit`);
  const size = photos * classes;
  const logits = new Map<ViewName, Float32Array>(
    index.views.map((view, v) => [view, all.subarray(v * size, (v + 1) * size)]),
  );
  return { file: jsonPath, binSha256: await sha256Hex(bytes), index, logits };
}

async function readOrExplain(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new TeacherLogitsError(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/** Throws unless the file has a row for every photo and a column for every class of a run. */
function checkCoverage(teacher: TeacherLogits, photoIds: readonly string[], classIds: readonly string[]): void {
  const { index, file: source } = teacher;
  const rows = new Set(index.ids);
  const missing = photoIds.filter((id) => !rows.has(id));
  if (missing.length > 0)
    throw new TeacherLogitsError(
      `${source} has no logits for ${missing.length} of the ${photoIds.length} train photos (${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", …" : ""}); compute them on this train folder`,
    );
  if (new Set(photoIds).size !== photoIds.length)
    throw new TeacherLogitsError(
      `the train folder holds two photos with the same file name; ${source} keys photos by name`,
    );
  const columns = new Set(index.classes);
  const absent = classIds.filter((id) => !columns.has(id));
  if (absent.length > 0) throw new TeacherLogitsError(`${source} has no logits for the classes ${absent.join(", ")}`);
}

/**
 * The run's coverage check (`externalKdTargets`) on the train folder itself, before anything is
 * cached. A run trains on the photos that decode, so a photo the file lacks is decoded here, and
 * one that fails to decode (which the run would skip) is not held against the file.
 */
export async function checkTrainCoverage(teacher: TeacherLogits, trainDir: string): Promise<void> {
  const rows = new Set(teacher.index.ids);
  const photos: DatasetItem[] = [];
  for (const item of (await readDataset(trainDir, SKIN8_ONLY)).items) {
    if (rows.has(item.id) || (await decodes(item.path))) photos.push(item);
  }
  checkCoverage(
    teacher,
    photos.map((photo) => photo.id),
    SKIN8_CLASS_IDS.filter((id) => photos.some((photo) => photo.classId === id)),
  );
}

async function decodes(path: string): Promise<boolean> {
  try {
    await decodeBytes(await readFile(path), path);
    return true;
  } catch {
    return false;
  }
}

/**
 * KD targets for a run's train photos (by id, in the run's order) and classes: each photo's row from
 * the file, on the run's classes (a file may name more, e.g. a run on a class subset), every class
 * in the mask. Throws when a photo or class of the run is missing from the file.
 */
export function externalKdTargets(
  teacher: TeacherLogits,
  photoIds: readonly string[],
  classIds: readonly string[],
  kd: { temperature: number; alpha: number },
): KdTargets {
  checkCoverage(teacher, photoIds, classIds);
  const { index } = teacher;
  const rowOf = new Map(index.ids.map((id, row) => [id, row]));
  const columnOf = new Map(index.classes.map((id, column) => [id, column]));
  const columns = classIds.map((id) => columnOf.get(id) as number);
  const width = index.classes.length;
  const k = classIds.length;
  const teacherLogits = new Map<ViewName, Float32Array>();
  for (const [view, all] of teacher.logits) {
    const picked = new Float32Array(photoIds.length * k);
    for (const [i, id] of photoIds.entries()) {
      const row = (rowOf.get(id) as number) * width;
      for (const [c, column] of columns.entries()) picked[i * k + c] = all[row + column] as number;
    }
    teacherLogits.set(view, picked);
  }
  return {
    teacherLogits,
    mask: new Float32Array(photoIds.length * k).fill(1),
    temperature: kd.temperature,
    alpha: kd.alpha,
  };
}
