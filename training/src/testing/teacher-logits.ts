/** Writes a teacher-logits pair in the format experiments/torch-gpu writes (distill/teacher-logits.ts). */
import { writeFile } from "node:fs/promises";
import type { FlipVariant } from "@pifu/core";
import { teacherLogitsBin } from "../distill/teacher-logits.js";

export async function writeTeacherLogits(
  jsonPath: string,
  pair: {
    views: FlipVariant[];
    ids: string[];
    classes: string[];
    /** View v (index into `views`), photo row i, class c → logit. */
    logit: (v: number, i: number, c: number) => number;
    models?: string[];
  },
): Promise<void> {
  const { views, ids, classes } = pair;
  const values = new Float32Array(views.length * ids.length * classes.length);
  for (let v = 0; v < views.length; v++)
    for (let i = 0; i < ids.length; i++)
      for (let c = 0; c < classes.length; c++) values[(v * ids.length + i) * classes.length + c] = pair.logit(v, i, c);
  await writeFile(teacherLogitsBin(jsonPath), new Uint8Array(values.buffer));
  const shape = [views.length, ids.length, classes.length];
  await writeFile(jsonPath, JSON.stringify({ views, ids, classes, shape, models: pair.models ?? ["a", "b"] }));
}
