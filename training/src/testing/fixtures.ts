/**
 * Test fixtures made on the spot: small real JPEG/PNG images a tiny model can learn (one dominant
 * colour per class plus noise and a shape), broken files, and a tiny real tfjs backbone.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as tfl from "@tensorflow/tfjs-layers";
import sharp from "sharp";
import { Rng } from "../data/rng.js";
import { saveLayersModel } from "../train/save.js";

const CLASS_COLOURS: [number, number, number][] = [
  [200, 60, 60],
  [60, 180, 70],
  [60, 80, 200],
  [200, 190, 60],
];

/** Raw RGB pixels of one generated image of `classIndex`. */
export function syntheticPixels(classIndex: number, size: number, rng: Rng): Uint8Array {
  const base = CLASS_COLOURS[classIndex % CLASS_COLOURS.length] as [number, number, number];
  const out = new Uint8Array(size * size * 3);
  const cx = rng.uniform(0.3, 0.7) * size;
  const cy = rng.uniform(0.3, 0.7) * size;
  const r = rng.uniform(0.15, 0.35) * size;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside = (x - cx) ** 2 + (y - cy) ** 2 < r * r;
      for (let c = 0; c < 3; c++) {
        const b = base[c] as number;
        const v = (inside ? b : 128 + (b - 128) * 0.35) + rng.normal() * 25;
        out[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return out;
}

export interface SyntheticSetOptions {
  classes: string[];
  perClass: number[];
  size?: number;
  seed?: number;
  /** Adds a manifest.csv with these sources, cycling. */
  sources?: string[];
  /** Adds broken files: one corrupt .jpg, one truncated .jpg, one .txt. */
  broken?: boolean;
}

/** Writes DIR/<class>/<id>.(jpg|png); returns the image count. */
export async function writeSyntheticSet(dir: string, options: SyntheticSetOptions): Promise<number> {
  const size = options.size ?? 32;
  const rng = new Rng(options.seed ?? 1);
  const manifest = ["id,split,label,source"];
  let count = 0;
  for (const [k, classId] of options.classes.entries()) {
    await mkdir(join(dir, classId), { recursive: true });
    for (let i = 0; i < (options.perClass[k] ?? 0); i++) {
      const id = `${classId}-${i}`;
      const img = sharp(Buffer.from(syntheticPixels(k, size, rng)), {
        raw: { width: size, height: size, channels: 3 },
      });
      const png = i % 3 === 0;
      await writeFile(
        join(dir, classId, `${id}.${png ? "png" : "jpg"}`),
        await (png ? img.png() : img.jpeg({ quality: 92 })).toBuffer(),
      );
      if (options.sources) manifest.push(`${id},train,${classId},${options.sources[count % options.sources.length]}`);
      count++;
    }
  }
  if (options.sources) await writeFile(join(dir, "manifest.csv"), `${manifest.join("\n")}\n`);
  if (options.broken) {
    const first = options.classes[0] as string;
    await writeFile(join(dir, first, "corrupt.jpg"), Buffer.from("this is not a jpeg at all"));
    const good = await sharp(Buffer.from(syntheticPixels(0, 64, rng)), { raw: { width: 64, height: 64, channels: 3 } })
      .jpeg()
      .toBuffer();
    await writeFile(join(dir, first, "truncated.jpg"), good.subarray(0, Math.floor(good.length / 2)));
    await writeFile(join(dir, first, "notes.txt"), "not an image");
  }
  return count;
}

/** A tiny real backbone (conv → relu → conv → relu), saved as a tfjs layers model in `dir`. */
export async function writeTinyBackbone(dir: string, inputSize = 16, seed = 7): Promise<string> {
  const model = tfl.sequential({ name: "tiny_backbone" });
  model.add(
    tfl.layers.conv2d({
      inputShape: [inputSize, inputSize, 3],
      filters: 8,
      kernelSize: 3,
      strides: 2,
      padding: "same",
      activation: "relu",
      kernelInitializer: tfl.initializers.glorotUniform({ seed }),
      name: "tiny_conv1",
    }),
  );
  model.add(
    tfl.layers.conv2d({
      filters: 12,
      kernelSize: 3,
      padding: "same",
      activation: "relu",
      kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }),
      name: "tiny_conv2",
    }),
  );
  await saveLayersModel(model, dir);
  model.dispose();
  return dir;
}

/**
 * A backbone-shaped functional network ending in a feature map, named like MobileNetV2's layers:
 * image → stem (3×3, stride 2) → stem_relu → Conv_1 (1×1) → Conv_1_bn → out_relu.
 */
export function backboneShapedNetwork(size: number, stemFilters: number, features: number): tfl.LayersModel {
  const image = tfl.input({ shape: [size, size, 3], name: "image" });
  const seeded = (seed: number) => tfl.initializers.glorotUniform({ seed });
  let x = tfl.layers
    .conv2d({
      filters: stemFilters,
      kernelSize: 3,
      strides: 2,
      padding: "same",
      kernelInitializer: seeded(1),
      name: "stem",
    })
    .apply(image) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({ maxValue: 6, name: "stem_relu" }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers
    .conv2d({ filters: features, kernelSize: 1, kernelInitializer: seeded(2), name: "Conv_1" })
    .apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ name: "Conv_1_bn" }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({ maxValue: 6, name: "out_relu" }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: image, outputs: x, name: "tiny_backbone" });
}

/**
 * A MobileNetV2-named network small enough for a test run of the whole student pipeline: stem → an
 * inverted residual block ending in `block_9_add` (the fine-tuning cut) → one ending in
 * `block_15_add` → Conv_1 → out_relu (the student's taps).
 */
export function mobilenetNamedNetwork(size: number, channels = 8, features = 16): tfl.LayersModel {
  const image = tfl.input({ shape: [size, size, 3], name: "input_1" });
  let seed = 10;
  const seeded = () => tfl.initializers.glorotUniform({ seed: seed++ });
  const apply = (layer: { apply(x: tfl.SymbolicTensor | tfl.SymbolicTensor[]): unknown }, x: tfl.SymbolicTensor) =>
    layer.apply(x) as tfl.SymbolicTensor;
  const bn = (name: string) => tfl.layers.batchNormalization({ name, movingVarianceInitializer: "ones" });
  const relu6 = (name: string) => tfl.layers.reLU({ maxValue: 6, name });
  let x = apply(
    tfl.layers.conv2d({
      filters: channels,
      kernelSize: 3,
      strides: 2,
      padding: "same",
      useBias: false,
      kernelInitializer: seeded(),
      name: "Conv1",
    }),
    image,
  );
  x = apply(relu6("Conv1_relu"), apply(bn("bn_Conv1"), x));
  for (const block of [9, 15]) {
    const name = `block_${block}`;
    const conv = (suffix: string, filters: number) =>
      tfl.layers.conv2d({
        filters,
        kernelSize: 1,
        useBias: false,
        kernelInitializer: seeded(),
        name: `${name}_${suffix}`,
      });
    let y = apply(relu6(`${name}_expand_relu`), apply(bn(`${name}_expand_BN`), apply(conv("expand", channels * 2), x)));
    const depthwise = tfl.layers.depthwiseConv2d({
      kernelSize: 3,
      padding: "same",
      useBias: false,
      depthwiseInitializer: seeded(),
      name: `${name}_depthwise`,
    });
    y = apply(relu6(`${name}_depthwise_relu`), apply(bn(`${name}_depthwise_BN`), apply(depthwise, y)));
    y = apply(bn(`${name}_project_BN`), apply(conv("project", channels), y));
    x = tfl.layers.add({ name: `${name}_add` }).apply([x, y]) as tfl.SymbolicTensor;
  }
  x = apply(
    tfl.layers.conv2d({
      filters: features,
      kernelSize: 1,
      useBias: false,
      kernelInitializer: seeded(),
      name: "Conv_1",
    }),
    x,
  );
  x = apply(relu6("out_relu"), apply(bn("Conv_1_bn"), x));
  return tfl.model({ inputs: image, outputs: x, name: "tiny_mobilenet" });
}

/** `mobilenetNamedNetwork` saved as a tfjs layers model in `dir`. */
export async function writeMobilenetNamedBackbone(dir: string, size: number): Promise<string> {
  const model = mobilenetNamedNetwork(size);
  await saveLayersModel(model, dir);
  model.dispose();
  return dir;
}
