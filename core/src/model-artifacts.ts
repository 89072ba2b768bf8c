/**
 * A TensorFlow.js layers-model folder (model.json + weight shards) as the in-memory artifacts that
 * `tf.io.fromMemory` takes: the weight specs of every manifest group in order, and the shards'
 * bytes concatenated in that same order (how tfjs lays weights out). Platform-neutral: the caller
 * supplies the bytes (fetch, fs, IndexedDB, a verified map) and keeps any hashing of its own.
 */
import { z } from "zod";

/** Storage dtypes of weights in a manifest, and the dtypes `quantization` may store them as. */
export const WEIGHT_DTYPES = ["float32", "int32", "bool", "string", "complex64"] as const;
export const QUANTIZED_DTYPES = ["float16", "uint8", "uint16"] as const;

/** Bytes one element takes in a weight shard, per stored dtype ("string" has no fixed size). */
export const BYTES_PER_ELEMENT: Readonly<Record<string, number>> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  float16: 2,
  uint8: 1,
  uint16: 2,
};

/** Bytes a weight occupies in its shard (its quantized dtype when it has one); undefined when unknown. */
export function weightByteLength(spec: {
  shape: readonly number[];
  dtype: string;
  quantization?: { dtype: string } | undefined;
}): number | undefined {
  const per = BYTES_PER_ELEMENT[spec.quantization?.dtype ?? spec.dtype];
  if (per === undefined) return undefined;
  return spec.shape.reduce((n, d) => n * d, 1) * per;
}

const WeightSpecSchema = z.looseObject({
  name: z.string(),
  shape: z.array(z.number().int().min(0)),
  dtype: z.enum(WEIGHT_DTYPES),
  quantization: z
    .looseObject({ dtype: z.enum(QUANTIZED_DTYPES), scale: z.number().optional(), min: z.number().optional() })
    .optional(),
});

/** model.json of a layers model, as far as loading and checking it needs; other fields pass through. */
export const LayersModelJsonSchema = z.looseObject({
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z.array(z.looseObject({ paths: z.array(z.string()).min(1), weights: z.array(WeightSpecSchema) })),
  format: z.string().optional(),
  generatedBy: z.string().optional(),
  convertedBy: z.string().nullable().optional(),
});
export type LayersModelJson = z.infer<typeof LayersModelJsonSchema>;

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: (typeof WEIGHT_DTYPES)[number];
  quantization?: { dtype: (typeof QUANTIZED_DTYPES)[number]; scale?: number; min?: number };
}

/** Structurally a tfjs `io.ModelArtifacts`, without depending on tfjs. */
export interface LayersModelArtifacts {
  modelTopology: Record<string, unknown>;
  weightSpecs: WeightSpec[];
  weightData: ArrayBuffer;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

export class ModelFormatError extends Error {
  override name = "ModelFormatError";
}

/** Parses and checks model.json bytes; `modelFile` names the file in errors. */
export function parseLayersModelJson(bytes: Uint8Array, modelFile = "model.json"): LayersModelJson {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new ModelFormatError(`${modelFile} is not JSON: ${(error as Error).message}`);
  }
  const parsed = LayersModelJsonSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ModelFormatError(
      `${modelFile} is not a TensorFlow.js layers model (only layers models are supported): ${z.prettifyError(parsed.error).replaceAll("\n", " ")}`,
    );
  }
  return parsed.data;
}

/** The weight shard file names, in manifest order. */
export function weightShardPaths(json: LayersModelJson): string[] {
  return json.weightsManifest.flatMap((group) => group.paths);
}

/** Artifacts from a parsed model.json and its shards' bytes, given in `weightShardPaths` order. */
export function joinModelArtifacts(json: LayersModelJson, shards: readonly Uint8Array[]): LayersModelArtifacts {
  const paths = weightShardPaths(json);
  if (shards.length !== paths.length) {
    throw new ModelFormatError(`model.json names ${paths.length} weight shards, ${shards.length} were given`);
  }
  const weightData = new Uint8Array(shards.reduce((sum, shard) => sum + shard.byteLength, 0));
  let offset = 0;
  for (const shard of shards) {
    weightData.set(shard, offset);
    offset += shard.byteLength;
  }
  const artifacts: LayersModelArtifacts = {
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((group) => group.weights.map(weightSpec)),
    weightData: weightData.buffer,
    format: json.format ?? "layers-model",
  };
  if (json.generatedBy !== undefined) artifacts.generatedBy = json.generatedBy;
  if (json.convertedBy !== undefined) artifacts.convertedBy = json.convertedBy;
  return artifacts;
}

function weightSpec(entry: LayersModelJson["weightsManifest"][number]["weights"][number]): WeightSpec {
  const spec: WeightSpec = { name: entry.name, shape: entry.shape, dtype: entry.dtype };
  const q = entry.quantization;
  if (q) {
    spec.quantization = { dtype: q.dtype };
    if (q.scale !== undefined) spec.quantization.scale = q.scale;
    if (q.min !== undefined) spec.quantization.min = q.min;
  }
  return spec;
}

/** A shard that cannot be found: undefined (or a rejected promise, which propagates). */
export type ReadModelFile = (name: string) => Promise<Uint8Array | undefined>;

/**
 * Reads the shards model.json names through `readFile`, one at a time in manifest order (so a
 * caller may hash the bytes as they arrive), and joins them into artifacts.
 */
export async function readLayersModelArtifacts(
  modelJson: Uint8Array,
  readFile: ReadModelFile,
  modelFile = "model.json",
): Promise<LayersModelArtifacts> {
  const json = parseLayersModelJson(modelJson, modelFile);
  const shards: Uint8Array[] = [];
  for (const path of weightShardPaths(json)) {
    const shard = await readFile(path);
    if (!shard) throw missingShard(path, modelFile);
    shards.push(shard);
  }
  return joinModelArtifacts(json, shards);
}

export function missingShard(path: string, modelFile = "model.json"): ModelFormatError {
  return new ModelFormatError(`weight shard ${path} named in ${modelFile} is missing`);
}
