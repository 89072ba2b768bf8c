/**
 * Writes a tiny but real TensorFlow.js layers model folder (model.json, one shard, model-card.json) in
 * the shared model-folder format, so tests never depend on ../shared or on the trained student.
 */
import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { FlipVariant, ModelCard } from "@pifu/core";
import { exampleCard } from "@pifu/core/testing";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

export interface FixtureModelOptions {
  version: string;
  /** Square input side; small keeps tests fast. */
  inputSize?: number;
  /** Different seeds give different weights, hence different predictions. */
  seed?: number;
  quantization?: "float32" | "float16";
  /** Conv filters in each block: more blocks and filters give a heavier model (for benchmarks). */
  filters?: number[];
  /** The card's test-time flips; none: one plain view. */
  testTimeFlips?: FlipVariant[];
  /** "flatten" instead of global pooling makes the logits depend on orientation, so flips matter. */
  pool?: "average" | "flatten";
}

/** IEEE 754 half-precision bits of a float32 value (round to nearest even), as tfjs float16 manifests hold. */
function toFloat16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  let mantissa = bits & 0x7fffff;
  if (exponent >= 0x1f) return sign | 0x7c00;
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    mantissa = (mantissa | 0x800000) >> (1 - exponent);
    return sign | ((mantissa + 0x1000) >> 13);
  }
  const half = sign | (exponent << 10) | (mantissa >> 13);
  const rest = mantissa & 0x1fff;
  return rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1) ? half + 1 : half;
}

function buildModel(
  inputSize: number,
  seed: number,
  filters: number[],
  classes: number,
  pool: "average" | "flatten",
): tfl.LayersModel {
  const model = tfl.sequential();
  filters.forEach((n, i) => {
    model.add(
      tfl.layers.conv2d({
        ...(i === 0 ? { inputShape: [inputSize, inputSize, 3] } : {}),
        filters: n,
        kernelSize: 3,
        strides: 2,
        padding: "same",
        activation: "relu",
        kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + i }),
        biasInitializer: tfl.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: seed + 100 + i }),
      }),
    );
  });
  model.add(pool === "flatten" ? tfl.layers.flatten() : tfl.layers.globalAveragePooling2d({}));
  model.add(
    tfl.layers.dense({
      units: classes,
      kernelInitializer: tfl.initializers.randomNormal({ stddev: 2, seed: seed + 1000 }),
    }),
  );
  return model;
}

/** Writes the model folder and returns its card. */
export async function writeFixtureModel(dir: string, options: FixtureModelOptions): Promise<ModelCard> {
  const {
    version,
    inputSize = 32,
    seed = 1,
    quantization = "float16",
    filters = [8, 16],
    testTimeFlips,
    pool = "average",
  } = options;
  await tf.setBackend("cpu");
  const base = await exampleCard({ x: new Uint8Array() });
  const model = buildModel(inputSize, seed, filters, base.classes.length, pool);
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  model.dispose();
  if (!artifacts?.weightSpecs || !artifacts.weightData) throw new Error("tfjs produced no weights");
  const float32 = new Float32Array(tf.io.concatenateArrayBuffers(artifacts.weightData as ArrayBuffer | ArrayBuffer[]));
  const shard =
    quantization === "float16"
      ? new Uint8Array(Uint16Array.from(float32, toFloat16Bits).buffer)
      : new Uint8Array(float32.buffer);
  const weights = artifacts.weightSpecs.map((w) =>
    quantization === "float16" ? { ...w, quantization: { dtype: "float16" as const } } : w,
  );
  const modelJson = new TextEncoder().encode(
    JSON.stringify({
      format: "layers-model",
      generatedBy: artifacts.generatedBy,
      convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ["group1-shard1of1.bin"], weights }],
    }),
  );
  const files = { "model.json": modelJson, "group1-shard1of1.bin": shard };
  const card = await exampleCard(files, {
    name: "pifu-fixture",
    version,
    quantization,
    modelFile: "model.json",
    preprocessing: { inputSize, resize: "center-crop-square", interpolation: "antialiased-bilinear", range: [-1, 1] },
    // A low threshold so the random fixture still shows confident results in the UI.
    unsure: { score: "maxProb", threshold: 0.9, coverage: 0.9 },
    ...(testTimeFlips ? { testTimeAugmentation: { flips: testTimeFlips, combine: "mean-logits" as const } } : {}),
  });
  await mkdir(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
  await writeFile(join(dir, "model-card.json"), `${JSON.stringify(card, null, 2)}\n`);
  return card;
}

/** A copy of model folder `from` at `to` with its model-card.json rewritten by `rewrite` (the parsed card → file text). */
export async function copyModelFolder(from: string, to: string, rewrite: (card: ModelCard) => string): Promise<void> {
  await cp(from, to, { recursive: true });
  const cardPath = join(to, "model-card.json");
  await writeFile(cardPath, rewrite(JSON.parse(await readFile(cardPath, "utf8")) as ModelCard));
}
