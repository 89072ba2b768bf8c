/**
 * Fine-tuning throughput on wasm (forward + backward + Adam, images/s) for a backbone cut at several
 * layers, training the tail on cached activations, against training the whole network from pixels,
 * and the student's fresh-draw fine-tuning (`npm run student -- --finetune-images`): a new draw of the
 * shipped configuration's augmentation preset per photo, core preprocess, (optionally) CutMix within
 * the batch and the frozen trunk on every step, then the tail.
 * `benchFineTune(options)` returns the JSON; `npx tsx bench/finetune.ts [--backbone DIR] [--cuts a,b]
 * [--batch 16] [--steps 3] [--whole true|false]` prints it and writes bench/results/finetune.json.
 */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_PREPROCESS, preprocess, type RawImage } from "@pifu/core";
import { isMain } from "@pifu/core/cli";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { AUGMENT_PRESETS, augmentImage } from "../training/src/augment/index.js";
import { loadLayersModelFrom } from "../training/src/backbones/load.js";
import { sharedBackbonesDir } from "../training/src/backbones/registry.js";
import { initBackend, tf } from "../training/src/backend/index.js";
import { Rng } from "../training/src/data/index.js";
import { buildFineTuneModel, flattenModel, listCutPoints, splitModel } from "../training/src/finetune/index.js";
import { registerWasmGradientKernels } from "../training/src/kernels/index.js";
import { innerNetwork } from "../training/src/student/backbone.js";
import { DEFAULT_STUDENT_CONFIG, FINETUNE_DEFAULTS } from "../training/src/student/config.js";
import {
  augmentedImageBatches,
  type BatchMix,
  frozenTrunk,
  NO_MIX,
  TRAIN_PHOTO_SCALE,
  trainableTail,
} from "../training/src/student/image-batches.js";

export interface BenchFineTuneOptions {
  /** folder (or model.json / URL) of the backbone */
  backbone: string;
  /** cut layers; the tail (trained) starts right after each */
  cuts: string[];
  /** also time training every layer from 224x224 pixels */
  whole: boolean;
  /** cut for the fresh-draw row (none: no such row) */
  freshDrawCut?: string;
  batchSize: number;
  /** timed steps per configuration, after one untimed warm-up step */
  steps: number;
  numClasses: number;
  log: (line: string) => void;
}

export interface FineTuneRow {
  /** the cut layer (last frozen layer), or "(none)" for the whole network */
  cutLayer: string;
  /** first trained layer */
  trainFrom: string;
  /** per-image input of the trained part: the cached activation, or the image */
  inputShape: number[];
  cacheBytesPerImage: number;
  trainableParams: number;
  firstStepSeconds: number;
  secondsPerStep: number;
  imagesPerSecond: number;
}

const defaults: BenchFineTuneOptions = {
  backbone: join(sharedBackbonesDir(), "mobilenet_v2_0.35_224"),
  // tails from block_13 (14x14 -> 7x7), block_15, block_16, and the last 1x1 conv (Conv_1)
  cuts: ["block_12_add", "block_14_add", "block_15_add", "block_16_project_BN"],
  whole: true,
  freshDrawCut: "block_9_add",
  batchSize: 16,
  steps: 3,
  numClasses: 8,
  log: (line) => console.error(`[bench finetune] ${line}`),
};

function randomBatch(rng: Rng, shape: number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => rng.next() * 2 - 1),
    shape,
  );
}

function timeTraining(model: LayersModel, inputShape: number[], o: BenchFineTuneOptions) {
  const rng = new Rng(7);
  const x = randomBatch(rng, [o.batchSize, ...inputShape]);
  const labels = Array.from({ length: o.batchSize }, (_, i) => i % o.numClasses);
  const y = tf.oneHot(tf.tensor1d(labels, "int32"), o.numClasses);
  const optimizer = tf.train.adam(1e-4);
  const step = () => {
    const loss = optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
      true,
    );
    loss?.dataSync();
    loss?.dispose();
  };
  let t0 = performance.now();
  step();
  const firstStepSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  for (let i = 0; i < o.steps; i++) step();
  const secondsPerStep = (performance.now() - t0) / 1000 / o.steps;
  tf.dispose([x, y]);
  optimizer.dispose();
  return { firstStepSeconds, secondsPerStep, imagesPerSecond: o.batchSize / secondsPerStep };
}

export interface FreshDrawRow {
  cutLayer: string;
  /** the augmentation preset drawn (the shipped configuration's) */
  preset: string;
  /** stored photo size the draws are taken from (shorter side = TRAIN_PHOTO_SCALE × 224) */
  photoSize: [number, number];
  /** per image: augmentation + core preprocess in JS, the frozen trunk, the tail's train step */
  msPerImage: { augmentAndPreprocess: number; trunk: number; trainStep: number };
  imagesPerSecond: number;
  /** the same with `--finetune-mix cutmix` at the default α and share of mixed rows */
  cutmix: { msPerImageBatchSource: number; imagesPerSecond: number };
}

async function benchFreshDraws(o: BenchFineTuneOptions, cutLayer: string): Promise<FreshDrawRow> {
  const network = innerNetwork((await loadLayersModelFrom(o.backbone)).model);
  const side = 224;
  const photoSize: [number, number] = [Math.round(side * TRAIN_PHOTO_SCALE * (4 / 3)), side * TRAIN_PHOTO_SCALE];
  const rng = new Rng(5);
  // Pixel values do not change the cost of augmenting, preprocessing or running a photo.
  const photos: RawImage[] = Array.from({ length: o.batchSize }, () => ({
    data: Uint8Array.from({ length: photoSize[0] * photoSize[1] * 3 }, () => rng.int(256)),
    width: photoSize[0],
    height: photoSize[1],
    channels: 3,
  }));
  const preset = DEFAULT_STUDENT_CONFIG.augmented.preset;
  const augment = AUGMENT_PRESETS[preset] ?? {};
  const spec = { ...DEFAULT_PREPROCESS, inputSize: side };
  const trunk = await frozenTrunk(network, cutLayer, side);
  const model = buildFineTuneModel(trainableTail(network, cutLayer), o.numClasses, { seed: 1 });
  const indices = photos.map((_, i) => i);
  const perImage = (ms: number) => ms / (o.steps * o.batchSize);
  const timeSource = (mix: BatchMix) => {
    const source = augmentedImageBatches({ images: photos, augment, spec, trunk, mix });
    source.batch(indices, rng).x.dispose(); // untimed warm-up, as for the train steps
    const t0 = performance.now();
    const batches = Array.from({ length: o.steps }, () => source.batch(indices, rng).x);
    const ms = perImage(performance.now() - t0);
    tf.dispose(batches);
    return ms;
  };
  const t0 = performance.now();
  for (let i = 0; i < o.steps; i++) for (const photo of photos) preprocess(augmentImage(photo, augment, rng), spec);
  const augmentAndPreprocess = perImage(performance.now() - t0);
  const sourceMs = timeSource(NO_MIX);
  const cutmixMs = timeSource({ ...FINETUNE_DEFAULTS.mix, mode: "cutmix" });
  const trainStep = timeTraining(model, trunk.shape, o);
  const trainMs = (1000 * trainStep.secondsPerStep) / o.batchSize;
  const row: FreshDrawRow = {
    cutLayer,
    preset,
    photoSize,
    msPerImage: { augmentAndPreprocess, trunk: Math.max(0, sourceMs - augmentAndPreprocess), trainStep: trainMs },
    imagesPerSecond: 1000 / (sourceMs + trainMs),
    cutmix: { msPerImageBatchSource: cutmixMs, imagesPerSecond: 1000 / (cutmixMs + trainMs) },
  };
  o.log(
    `fresh ${preset} draws through ${cutLayer}: ${row.imagesPerSecond.toFixed(1)} img/s (${row.cutmix.imagesPerSecond.toFixed(1)} with CutMix)`,
  );
  return row;
}

function trainableParams(model: LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}

async function benchCut(o: BenchFineTuneOptions, cutLayer: string | undefined): Promise<FineTuneRow> {
  // A fresh copy per configuration: fine-tuning flips the shared layers' trainable flags.
  const { model: backbone } = await loadLayersModelFrom(o.backbone);
  const tail = cutLayer ? splitModel(backbone, cutLayer).tail : flattenModel(backbone);
  const model = buildFineTuneModel(tail, o.numClasses, { seed: 1 });
  const inputShape = tail.inputs[0]?.shape.slice(1) as number[];
  const timing = timeTraining(model, inputShape, o);
  const row: FineTuneRow = {
    cutLayer: cutLayer ?? "(none)",
    trainFrom: (tail.layers[1]?.name ?? "?") as string,
    inputShape,
    cacheBytesPerImage: cutLayer ? inputShape.reduce((a, b) => a * b, 4) : 0,
    trainableParams: trainableParams(model),
    ...timing,
  };
  o.log(`${row.cutLayer} -> train from ${row.trainFrom}: ${row.imagesPerSecond.toFixed(1)} img/s`);
  return row;
}

/** How fast the frozen trunk fills the activation cache (forward only), images/s. */
async function benchTrunk(o: BenchFineTuneOptions, cutLayer: string): Promise<number> {
  const { model: backbone } = await loadLayersModelFrom(o.backbone);
  const { trunk } = splitModel(backbone, cutLayer);
  const x = randomBatch(new Rng(3), [o.batchSize, ...(trunk.inputs[0]?.shape.slice(1) as number[])]);
  const run = () => tf.tidy(() => (trunk.predict(x) as tf.Tensor).dataSync());
  run();
  const t0 = performance.now();
  for (let i = 0; i < o.steps; i++) run();
  x.dispose();
  return (o.batchSize * o.steps) / ((performance.now() - t0) / 1000);
}

export async function benchFineTune(options: Partial<BenchFineTuneOptions> = {}) {
  const o = { ...defaults, ...options } satisfies BenchFineTuneOptions;
  if (!existsSync(o.backbone) && !/^https?:/.test(o.backbone)) {
    return { part: "finetune", skipped: `backbone ${o.backbone} is absent` };
  }
  const backend = await initBackend("wasm", o.log);
  const kernelsRegistered = registerWasmGradientKernels();
  const { model, sha256 } = await loadLayersModelFrom(o.backbone);
  const cutPoints = listCutPoints(model);
  const unknown = o.cuts.filter((cut) => !cutPoints.includes(cut));
  if (unknown.length > 0) throw new Error(`not cut points: ${unknown.join(", ")}; valid: ${cutPoints.join(", ")}`);
  const rows: FineTuneRow[] = [];
  for (const cut of o.cuts) rows.push(await benchCut(o, cut));
  if (o.whole) rows.push(await benchCut(o, undefined));
  const trunkImagesPerSecond = o.cuts[0] ? await benchTrunk(o, o.cuts[0]) : undefined;
  const freshDraws = o.freshDrawCut ? await benchFreshDraws(o, o.freshDrawCut) : undefined;
  return {
    part: "finetune",
    date: new Date().toISOString(),
    machine: { cpus: availableParallelism(), loadAverage1m: loadavg()[0] },
    backend: backend.tfBackend,
    kernelsRegistered,
    backbone: { location: o.backbone, sha256 },
    batchSize: o.batchSize,
    stepsTimed: o.steps,
    cutPoints,
    rows,
    trunkForward: o.cuts[0] ? { cutLayer: o.cuts[0], imagesPerSecond: trunkImagesPerSecond } : undefined,
    freshDraws,
    note: "tail rows train on cached activations (random values of the right shape); the whole-network row trains from 224x224 pixels. Timings on a shared 2-core machine: see loadAverage1m.",
  };
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      backbone: { type: "string" },
      cuts: { type: "string" },
      batch: { type: "string" },
      steps: { type: "string" },
      whole: { type: "string" },
    },
  });
  const result = await benchFineTune({
    ...(values.backbone ? { backbone: resolve(values.backbone) } : {}),
    ...(values.cuts ? { cuts: values.cuts.split(",") } : {}),
    ...(values.batch ? { batchSize: Number(values.batch) } : {}),
    ...(values.steps ? { steps: Number(values.steps) } : {}),
    ...(values.whole ? { whole: values.whole !== "false" } : {}),
  });
  const root = resolve(import.meta.dirname, "..");
  await mkdir(join(root, "bench/results"), { recursive: true });
  await writeFile(join(root, "bench/results/finetune.json"), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result));
}
