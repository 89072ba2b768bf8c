/**
 * A `tf.io.IOHandler` whose `save` writes a layers model as model.json plus weight shards, with
 * its convolution and dense kernels optionally quantized to float16 or uint8; the manifest carries
 * the `quantization` entries that stock `tf.loadLayersModel` uses to dequantize.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { weightByteLength } from "@pifu/core";
import * as tf from "@tensorflow/tfjs-core";
import { type Quantization, quantizeFloat16, quantizeUint8 } from "./quantize.js";

export interface ModelFilesOptions {
  quantization: Quantization;
  /** Shard size cap; tfjs' converter uses 4 MiB. */
  shardBytes?: number;
}

/** File name → bytes of one model folder (without the card). */
export type ModelFiles = Map<string, Uint8Array>;

/**
 * Only regular convolution and dense kernels (nearly all of the weights) are reduced to float16 or
 * uint8. Biases, batch-norm vectors and depthwise kernels (~5% of MobileNetV2's weights) stay
 * float32: each of their values reaches every activation of a channel, and folded biases reach
 * ±30, so float16's rounding there was most of the float16 export's error (measured on the student:
 * all weights float16 flipped 4 of 507 val predictions, biases float32 1, biases and depthwise
 * kernels float32 none; docs/results/student.md). One 8-bit grid per tensor would also wreck
 * depthwise kernels (each channel has its own scale); tfjs manifests have no per-channel scales.
 */
function reducible(spec: tf.io.WeightsManifestEntry): boolean {
  return /kernel$/.test(spec.name) && !/depthwise_kernel$/.test(spec.name);
}

function encodeWeight(spec: tf.io.WeightsManifestEntry, values: ArrayBuffer, quantization: Quantization) {
  if (spec.dtype !== "float32" || quantization === "float32" || !reducible(spec))
    return { spec, bytes: new Uint8Array(values) };
  const floats = new Float32Array(values);
  if (quantization === "float16") {
    const half = quantizeFloat16(floats);
    return { spec: { ...spec, quantization: { dtype: "float16" as const } }, bytes: new Uint8Array(half.buffer) };
  }
  const { bytes, scale, min } = quantizeUint8(floats);
  return { spec: { ...spec, quantization: { dtype: "uint8" as const, scale, min } }, bytes };
}

function byteSize(spec: tf.io.WeightsManifestEntry): number {
  const size = weightByteLength(spec);
  if (size === undefined) throw new Error(`${spec.dtype} weight ${spec.name} cannot be exported`);
  return size;
}

/** Turns saved artifacts into model.json + shard bytes. */
export function encodeModelFiles(artifacts: tf.io.ModelArtifacts, options: ModelFilesOptions): ModelFiles {
  const { quantization, shardBytes = 4 * 1024 * 1024 } = options;
  if (!artifacts.weightSpecs || artifacts.weightData === undefined || !artifacts.modelTopology) {
    throw new Error("the model artifacts lack a topology or weights");
  }
  const data = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const spec of artifacts.weightSpecs) {
    const size = byteSize(spec);
    const encoded = encodeWeight(spec, data.slice(offset, offset + size), quantization);
    offset += size;
    specs.push(encoded.spec);
    chunks.push(encoded.bytes);
  }
  const all = new Uint8Array(Buffer.concat(chunks));
  const total = all.byteLength;
  const shardCount = Math.max(1, Math.ceil(total / shardBytes));
  const files: ModelFiles = new Map();
  const paths: string[] = [];
  for (let i = 0; i < shardCount; i++) {
    const name = `group1-shard${i + 1}of${shardCount}.bin`;
    paths.push(name);
    files.set(name, all.slice(i * shardBytes, Math.min(total, (i + 1) * shardBytes)));
  }
  const modelJSON: tf.io.ModelJSON = {
    format: artifacts.format ?? "layers-model",
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_core}`,
    convertedBy: "pifu training export",
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths, weights: specs }],
  };
  files.set("model.json", new TextEncoder().encode(JSON.stringify(modelJSON)));
  return new Map(
    [...files].sort(([a], [b]) => (a === "model.json" ? -1 : b === "model.json" ? 1 : a.localeCompare(b))),
  );
}

/** An IOHandler that encodes on save and hands the files to `sink`; `files` holds them afterwards. */
export class QuantizedFilesHandler implements tf.io.IOHandler {
  files: ModelFiles | undefined;

  constructor(
    private readonly options: ModelFilesOptions,
    private readonly sink: (files: ModelFiles) => Promise<void> = async () => {},
  ) {}

  async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
    const files = encodeModelFiles(artifacts, this.options);
    await this.sink(files);
    this.files = files;
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  }
}

/** A handler that writes the files into `dir` (created if needed). */
export function folderWriter(dir: string, options: ModelFilesOptions): QuantizedFilesHandler {
  return new QuantizedFilesHandler(options, async (files) => {
    await mkdir(dir, { recursive: true });
    for (const [name, bytes] of files) await writeFile(join(dir, name), bytes);
  });
}
