/**
 * npx tsx experiments/torch-gpu/pack.ts --train DIR --val DIR --out .gpu-pack
 *
 * Packs a folder-per-class photo set for the PyTorch GPU experiment (README.md beside this file).
 * Every photo goes through the project's own decoder and preprocessing contract (centre square,
 * antialiased bilinear) and is stored as JPEG, so skin8 fits the GPU machine's 64 MiB carry. A few
 * val photos also travel as exact pixels with the tfjs outputs of the exported student and of each
 * backbone, so the PyTorch port proves it computes what tfjs computes before it trains anything.
 * pack.json tells train.py the classes, each backbone's input range and embedding layer (from the
 * training registry) and the student's and teachers' heads (from the student's default config):
 * train.py hard-codes none of them.
 */
import { copyFile, mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_PREPROCESS, type PreprocessSpec, preprocess } from "@pifu/core";
import { isMain, runMain } from "@pifu/core/cli";
import { Command } from "commander";
import sharp from "sharp";
import { loadLayersModelFrom } from "../../training/src/backbones/load.js";
import { type BackboneSpec, resolveBackbone } from "../../training/src/backbones/registry.js";
import { initBackend, tf } from "../../training/src/backend/index.js";
import { int, side as sideFlag } from "../../training/src/cli/parse.js";
import { type Dataset, type DatasetItem, readDataset, SKIN8_ONLY } from "../../training/src/data/dataset.js";
import { decodeImage } from "../../training/src/data/decode.js";
import { openModelDir } from "../../training/src/evaluate/model-dir.js";
import { DEFAULT_STUDENT_CONFIG } from "../../training/src/student/config.js";

export interface PackedSplit {
  side: number;
  classes: string[];
  index: { id: string; label: number; offset: number; length: number }[];
}

/** Contract pixels (0..255, rounded) at `side`: what a model sees before scaling to its range. */
async function contractPixels(path: string, side: number): Promise<Uint8Array> {
  const floats = preprocess(await decodeImage(path), { ...DEFAULT_PREPROCESS, inputSize: side, range: [0, 255] });
  return Uint8Array.from(floats, Math.round);
}

/** OUT/NAME.bin (the JPEGs back to back) and OUT/NAME.json (where each starts, its label). */
export async function packSplit(dataset: Dataset, out: string, name: string, side: number, quality: number) {
  const chunks: Buffer[] = [];
  const packed: PackedSplit = { side, classes: dataset.classes, index: [] };
  let offset = 0;
  for (const item of dataset.items) {
    const jpeg = await sharp(await contractPixels(item.path, side), { raw: { width: side, height: side, channels: 3 } })
      .jpeg({ quality, chromaSubsampling: "4:4:4" })
      .toBuffer();
    packed.index.push({ id: item.id, label: item.label, offset, length: jpeg.length });
    chunks.push(jpeg);
    offset += jpeg.length;
  }
  await writeFile(join(out, `${name}.bin`), Buffer.concat(chunks));
  await writeFile(join(out, `${name}.json`), JSON.stringify(packed));
  return { photos: packed.index.length, bytes: offset };
}

function predictRows(model: { predict(x: tf.Tensor): tf.Tensor | tf.Tensor[] }, input: tf.Tensor): number[][] {
  return tf.tidy(() => (model.predict(input) as tf.Tensor).arraySync() as number[][]);
}

/**
 * OUT/parity.bin (`count` val photos' contract pixels) and OUT/parity.json (tfjs outputs on them of
 * the exported student, in its card's range, and of each backbone's whole model, keyed "student" and
 * by backbone name).
 */
export async function packParity(
  items: readonly DatasetItem[],
  out: string,
  studentDir: string,
  backbones: readonly BackboneSpec[],
  count: number,
  side: number,
) {
  const picked = items.filter((_, i) => i % Math.max(1, Math.floor(items.length / count)) === 0).slice(0, count);
  const size = side * side * 3;
  const pixels = new Uint8Array(picked.length * size);
  for (const [i, item] of picked.entries()) pixels.set(await contractPixels(item.path, side), i * size);
  const batchIn = (range: [number, number]) => {
    const spec: PreprocessSpec = { ...DEFAULT_PREPROCESS, inputSize: side, range };
    const batch = new Float32Array(pixels.length);
    for (let i = 0; i < picked.length; i++) {
      const data = pixels.subarray(i * size, (i + 1) * size);
      batch.set(preprocess({ data, width: side, height: side, channels: 3 }, spec), i * size);
    }
    return tf.tensor4d(batch, [picked.length, side, side, 3]);
  };
  const outputs: Record<string, number[][]> = {};
  const student = await openModelDir(studentDir);
  const studentRange = student.card.preprocessing.range;
  outputs.student = predictRows(student.model, batchIn(studentRange));
  student.model.dispose();
  for (const spec of backbones) {
    const loaded = await loadLayersModelFrom(spec.location);
    outputs[spec.name] = predictRows(loaded.model, batchIn(spec.preprocess.range));
    loaded.model.dispose();
  }
  await writeFile(join(out, "parity.bin"), pixels);
  await writeFile(
    join(out, "parity.json"),
    JSON.stringify({ side, count: picked.length, ids: picked.map((item) => item.id), studentRange, outputs }),
  );
  return picked.length;
}

/**
 * Copies each backbone's folder to OUT/backbones/NAME and describes it in OUT/pack.json, with the
 * heads `npm run student` gives its student and its teachers (hidden widths, dropout).
 */
export async function packBackbones(out: string, classes: string[], backbones: readonly BackboneSpec[]) {
  const described: Record<string, { folder: string; range: [number, number]; layer: string | null }> = {};
  for (const spec of backbones) {
    const folder = join("backbones", spec.name);
    await mkdir(join(out, folder), { recursive: true });
    for (const file of await readdir(spec.location)) {
      if (file === "model.json" || file.endsWith(".bin"))
        await copyFile(join(spec.location, file), join(out, folder, file));
    }
    described[spec.name] = { folder, range: spec.preprocess.range, layer: spec.layer ?? null };
  }
  const heads = { student: DEFAULT_STUDENT_CONFIG.head, teacher: DEFAULT_STUDENT_CONFIG.teacher.head };
  await writeFile(join(out, "pack.json"), JSON.stringify({ classes, backbones: described, heads }, null, 1));
}

const program = new Command()
  .name("pack")
  .description("Pack a folder-per-class photo set, backbones and a parity check for experiments/torch-gpu/train.py")
  .requiredOption("--train <dir>", "folder-per-class training photos")
  .requiredOption("--val <dir>", "folder-per-class validation photos")
  .option("--out <dir>", "folder to write (git-ignored: never commit it)", ".gpu-pack")
  .option("--model <dir>", "an exported student for the parity check", "models/default")
  .option("--backbones <names>", "registry names, comma-separated", "mobilenet_v2_0.35,darknet_tiny")
  .option("--side <px>", "square side of the packed photos", sideFlag("side"), DEFAULT_PREPROCESS.inputSize)
  .option(
    "--train-quality <q>",
    "JPEG quality of training photos (85 keeps skin8 under the carry limit)",
    int("train-quality"),
    85,
  )
  .option("--val-quality <q>", "JPEG quality of validation photos", int("val-quality"), 90)
  .option("--parity <n>", "val photos in the parity check", int("parity"), 16)
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<{
    train: string;
    val: string;
    out: string;
    model: string;
    backbones: string;
    side: number;
    trainQuality: number;
    valQuality: number;
    parity: number;
  }>();
  await initBackend("wasm");
  await mkdir(o.out, { recursive: true });
  const backbones = o.backbones.split(",").map((name) => resolveBackbone(name.trim()).spec);
  const val = await readDataset(o.val, SKIN8_ONLY);
  for (const [name, dataset, quality] of [
    ["val", val, o.valQuality],
    ["train", await readDataset(o.train, SKIN8_ONLY), o.trainQuality],
  ] as const) {
    const packed = await packSplit(dataset, o.out, name, o.side, quality);
    console.log(`${name}: ${packed.photos} photos, ${(packed.bytes / 2 ** 20).toFixed(1)} MiB`);
  }
  const count = await packParity(val.items, o.out, o.model, backbones, o.parity, o.side);
  console.log(`parity: ${count} val photos with the tfjs outputs of ${o.model} and ${o.backbones}`);
  await packBackbones(o.out, val.classes, backbones);
}

if (isMain(import.meta.url)) runMain("pack", main);
