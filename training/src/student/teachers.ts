/** The teachers of a student run, from its config: one MLP per given class subset. */
import { trainTeachers } from "../distill/teachers.js";
import type { StudentConfig } from "./config.js";
import type { SplitData } from "./data.js";

export function trainConfiguredTeachers(options: {
  config: StudentConfig;
  /** concat: both backbones' features; student: the student backbone's only. */
  features: "concat" | "student";
  subsets: { name: string; classes: number[] }[];
  classIds: readonly string[];
  train: SplitData;
  val: SplitData;
  log?: (line: string) => void;
}): ReturnType<typeof trainTeachers> {
  const { config, train, val, log } = options;
  if (!config.kd) throw new Error("teachers need kd settings");
  const concat = options.features === "concat";
  return trainTeachers({
    subsets: options.subsets,
    classIds: options.classIds,
    train: { inputs: concat ? train.teacher : train.student, labels: train.labels },
    val: { inputs: (concat ? val.teacher : val.student).get("id") as Float32Array, labels: val.labels },
    width: concat ? train.teacherWidth : train.studentWidth,
    spec: {
      head: config.teacher.head,
      loss: config.loss,
      epochs: config.teacher.epochs,
      batchSize: config.batchSize,
      learningRate: config.teacher.learningRate,
    },
    seed: config.seed,
    temperature: config.kd.temperature,
    alpha: config.kd.alpha,
    ...(log ? { log } : {}),
  });
}
