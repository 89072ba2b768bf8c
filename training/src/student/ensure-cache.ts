/** Fills the activation cache a student run needs, one cache-activations.ts process per core. */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { augmentedSplit, STUDENT_TAPS, studentSplit, TEACHER_TAPS } from "./data.js";

const SCRIPT = fileURLToPath(new URL("./cache-activations.ts", import.meta.url));

function run(args: string[], log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    // execArgv carries tsx's loader when this process runs under tsx.
    const child = spawn(process.execPath, [...process.execArgv, SCRIPT, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    child.stdout.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) if (line.trim()) log(`  ${line}`);
    });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`cache-activations exited with ${code}`))));
  });
}

export async function ensureCache(options: {
  cache: string;
  train: string;
  val: string;
  backbone: string;
  /** The student backbone's input size; the teacher backbone is always fed 224 px. */
  inputSize: number;
  teacherBackbone: string | null;
  /**
   * Random augmentation draws per train image to cache (views 0: none). They are part of the cache,
   * drawn with cache-activations' fixed seed whatever the run's seed.
   */
  augmented?: { views: number; preset: string };
  workers?: number;
  log: (line: string) => void;
}): Promise<void> {
  const workers = options.workers ?? 2;
  const jobs: {
    split: string;
    data: string;
    backbone: string;
    size: number;
    range: string;
    outputs: string;
    /** The views: flips, or `--augment=N` random draws. */
    views: string[];
  }[] = [];
  for (const [split, data] of [
    ["train", options.train],
    ["val", options.val],
  ] as const) {
    jobs.push({
      split: studentSplit(options.inputSize, split),
      data,
      backbone: options.backbone,
      size: options.inputSize,
      range: "-1,1",
      outputs: `${STUDENT_TAPS.cut}:raw,${STUDENT_TAPS.pooled}:gap`,
      views: ["--variants=id,h,v,hv"],
    });
    if (options.teacherBackbone) {
      jobs.push({
        split: `${TEACHER_TAPS.prefix}-${split}`,
        data,
        backbone: options.teacherBackbone,
        size: 224,
        range: "0,1",
        outputs: `${TEACHER_TAPS.pooled}:gap`,
        views: ["--variants=id"],
      });
    }
  }
  if (options.augmented && options.augmented.views > 0) {
    jobs.push({
      split: augmentedSplit(options.inputSize, options.augmented.preset),
      data: options.train,
      backbone: options.backbone,
      size: options.inputSize,
      range: "-1,1",
      outputs: `${STUDENT_TAPS.pooled}:gap`,
      views: [`--augment=${options.augmented.views}`, `--preset=${options.augmented.preset}`],
    });
  }
  for (const job of jobs) {
    if (
      Array.from({ length: workers }, (_, s) => join(options.cache, job.split, `${s}of${workers}-index.json`)).every(
        (p) => existsSync(p),
      )
    ) {
      options.log(`cache ${job.split}: present`);
      continue;
    }
    options.log(`cache ${job.split}: embedding ${job.data} with ${workers} workers`);
    await Promise.all(
      Array.from({ length: workers }, (_, shard) =>
        run(
          [
            `--backbone=${job.backbone}`,
            `--range=${job.range}`,
            `--size=${job.size}`,
            `--data=${job.data}`,
            `--split=${job.split}`,
            `--outputs=${job.outputs}`,
            ...job.views,
            `--out=${options.cache}`,
            `--shard=${shard}/${workers}`,
          ],
          options.log,
        ),
      ),
    );
  }
}
