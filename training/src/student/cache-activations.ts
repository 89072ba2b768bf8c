/**
 * Runs a backbone once over a folder-per-class image set and stores activations at named layers (raw
 * or globally averaged) for each flip variant, so teachers and the student's trainable tail can be
 * trained many times without re-running the frozen part. Usage (one process per core via --shard):
 *   tsx training/src/student/cache-activations.ts --backbone DIR --range -1,1 --data DIR --split train \
 *     --outputs block_15_add:raw,out_relu:gap --variants id,h --out CACHE [--shard 0/2] [--tag NAME]
 * A later run with another --tag (and the same --shard) adds layers to the same split.
 * With --augment N (and --preset, --seed) the views are N random draws of an augmentation preset
 * (crops, flips, rotation, colour) instead of flips, named aug0..aug{N-1}; each image's draws depend
 * only on the seed and the image id, so shards and reruns agree.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  DEFAULT_PREPROCESS,
  type FlipVariant,
  type PreprocessSpec,
  preprocess,
  type RawImage,
  sha256Hex,
} from "@pifu/core";
import { runMain } from "@pifu/core/cli";
import { AUGMENT_PRESETS, augmentImage } from "../augment/index.js";
import { inferenceTap } from "../backbones/inference-tap.js";
import { loadLayersModelFrom } from "../backbones/load.js";
import { initBackend, tf } from "../backend/index.js";
import { flips, int, positiveInt, range, shard, side } from "../cli/parse.js";
import { concatFloat32, decodeBytes, failureLine, readDataset, SKIN8_ONLY } from "../data/index.js";
import { Rng } from "../data/rng.js";
import { innerNetwork } from "./backbone.js";
import type { ViewName } from "./cache-store.js";
import { flipBatch } from "./flips.js";
import { pixelTensor } from "./image-batches.js";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backbone: { type: "string" },
      range: { type: "string", default: "-1,1" },
      data: { type: "string" },
      split: { type: "string" },
      outputs: { type: "string" },
      variants: { type: "string", default: "id,h" },
      out: { type: "string" },
      shard: { type: "string", default: "0/1" },
      batch: { type: "string", default: "16" },
      /** Names this run's files so layers cached by a later run sit beside the earlier ones. */
      tag: { type: "string" },
      /** Square input side the backbone is rebuilt for (its weights do not depend on it). */
      size: { type: "string", default: "224" },
      augment: { type: "string" },
      preset: { type: "string", default: "strong" },
      seed: { type: "string", default: "42" },
    },
  });
  if (!values.backbone || !values.data || !values.split || !values.outputs || !values.out) {
    throw new Error("needs --backbone --data --split --outputs --out");
  }
  const spec: PreprocessSpec = {
    ...DEFAULT_PREPROCESS,
    inputSize: side("size")(values.size),
    range: range(values.range),
  };
  const outputs = values.outputs.split(",").map((s) => {
    const [layer = "", mode = "gap"] = s.split(":");
    return { layer, mode: mode as "raw" | "gap" };
  });
  const augmentViews = values.augment === undefined ? 0 : int("augment")(values.augment);
  const preset = AUGMENT_PRESETS[values.preset];
  if (!preset) throw new Error(`unknown --preset ${values.preset}; valid: ${Object.keys(AUGMENT_PRESETS).join(", ")}`);
  const augmentSeed = int("seed")(values.seed);
  const augmentRng = new Rng(augmentSeed);
  const variants: ViewName[] =
    augmentViews > 0
      ? Array.from({ length: augmentViews }, (_, v) => `aug${v}` as const)
      : flips("variants")(values.variants);
  const { index: shardIndex, count: shardCount } = shard("shard")(values.shard);
  const batchSize = positiveInt("batch")(values.batch);

  await initBackend("wasm", console.log);
  const backbone = await loadLayersModelFrom(values.backbone, spec.inputSize);
  const network = innerNetwork(backbone.model);
  const tap = await inferenceTap(
    network,
    outputs.map((o) => o.layer),
  );
  const dataset = await readDataset(values.data, SKIN8_ONLY);
  const images = dataset.items
    .filter((_, i) => i % shardCount === shardIndex)
    .map((item) => ({
      id: item.id,
      path: item.path,
      label: item.classId,
      labelIndex: item.label,
      source: item.source,
    }));
  const size = spec.inputSize;
  const chunks = new Map<string, Float32Array[]>();
  /** Each embedded photo with its content hash, by which a later run notices a photo rewritten in place. */
  const kept: ((typeof images)[number] & { sha256: string })[] = [];
  const failed: string[] = [];
  /** The content hash of each failed photo that could be read, by which a later run notices it was fixed. */
  const failedSha256: Record<string, string> = {};
  const started = Date.now();
  for (let start = 0; start < images.length; start += batchSize) {
    const batch = images.slice(start, start + batchSize);
    const decoded: { id: string; pixels: RawImage }[] = [];
    for (const image of batch) {
      let sha256: string | undefined;
      try {
        const bytes = await readFile(image.path);
        sha256 = await sha256Hex(bytes);
        decoded.push({ id: image.id, pixels: await decodeBytes(bytes, image.path) });
        kept.push({ ...image, sha256 });
      } catch (error) {
        failed.push(failureLine(image.path, error));
        if (sha256) failedSha256[image.path] = sha256;
      }
    }
    if (decoded.length === 0) continue;
    const input =
      augmentViews > 0
        ? undefined
        : pixelTensor(
            decoded.map((d) => preprocess(d.pixels, spec)),
            size,
          );
    for (const [v, variant] of variants.entries()) {
      const viewInput =
        input ??
        pixelTensor(
          decoded.map((d) => preprocess(augmentImage(d.pixels, preset, augmentRng.fork(`${d.id}/${v}`)), spec)),
          size,
        );
      const results = tf.tidy(() => {
        const list = tap.predict(input ? flipBatch(input, variant as FlipVariant) : viewInput);
        return list.map((t, i) => (outputs[i]?.mode === "gap" && t.rank === 4 ? tf.mean(t, [1, 2]) : t));
      });
      for (const [i, t] of results.entries()) {
        const key = `${variant}-${outputs[i]?.layer}`;
        const list = chunks.get(key) ?? [];
        list.push((await t.data()) as Float32Array);
        chunks.set(key, list);
        t.dispose();
      }
      if (viewInput !== input) viewInput.dispose();
    }
    input?.dispose();
    const done = Math.min(start + batchSize, images.length);
    if ((start / batchSize) % 10 === 0) {
      const rate = done / ((Date.now() - started) / 1000);
      console.log(`${values.split} shard ${shardIndex}: ${done}/${images.length} (${rate.toFixed(1)} img/s)`);
    }
  }
  const dir = join(values.out, values.split);
  await mkdir(dir, { recursive: true });
  const prefix = `${values.tag ? `${values.tag}-` : ""}${shardIndex}of${shardCount}`;
  for (const [key, list] of chunks) await writeFile(join(dir, `${prefix}-${key}.f32`), concatFloat32(list));
  const shapes = Object.fromEntries(
    outputs.map((o, i) => [o.layer, o.mode === "gap" ? [tap.shapes[i]?.at(-1)] : tap.shapes[i]]),
  );
  await writeFile(
    join(dir, `${prefix}-index.json`),
    JSON.stringify(
      {
        spec,
        backboneSha256: backbone.sha256,
        outputs,
        shapes,
        variants,
        ...(augmentViews > 0 ? { augment: { preset: values.preset, seed: augmentSeed } } : {}),
        images: kept,
        failed,
        failedSha256,
      },
      null,
      1,
    ),
  );
  console.log(`done ${kept.length} images in ${((Date.now() - started) / 1000).toFixed(0)} s; failed ${failed.length}`);
}

runMain("cache-activations", main);
