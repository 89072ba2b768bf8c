/** Turns the files of a model folder (model.json + shards, already verified) into in-memory tfjs artifacts. */
import type { io } from "@tensorflow/tfjs-core";

interface WeightsGroup {
  paths: string[];
  weights: io.WeightsManifestEntry[];
}

interface LayersModelJson {
  modelTopology: object;
  weightsManifest: WeightsGroup[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

export class ModelFormatError extends Error {
  override name = "ModelFormatError";
}

function parseModelJson(bytes: Uint8Array): LayersModelJson {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new ModelFormatError(`model.json is not JSON: ${(error as Error).message}`);
  }
  const json = parsed as Partial<LayersModelJson>;
  if (typeof json.modelTopology !== "object" || json.modelTopology === null) {
    throw new ModelFormatError("model.json has no modelTopology (only layers models are supported)");
  }
  if (!Array.isArray(json.weightsManifest)) throw new ModelFormatError("model.json has no weightsManifest");
  return json as LayersModelJson;
}

/**
 * Builds the artifacts `tf.io.fromMemory` takes. `files` maps file names to their bytes; the weight
 * shards are concatenated in manifest order, which is how tfjs lays out the weight specs.
 */
export function modelArtifacts(modelFile: string, files: ReadonlyMap<string, Uint8Array>): io.ModelArtifacts {
  const entry = files.get(modelFile);
  if (!entry) throw new ModelFormatError(`model file ${modelFile} is missing`);
  const json = parseModelJson(entry);
  const shards = json.weightsManifest.flatMap((group) => group.paths);
  const total = shards.reduce((sum, name) => sum + (files.get(name)?.byteLength ?? 0), 0);
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const name of shards) {
    const shard = files.get(name);
    if (!shard) throw new ModelFormatError(`weight shard ${name} named in ${modelFile} is missing`);
    weightData.set(shard, offset);
    offset += shard.byteLength;
  }
  return {
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
    weightData: weightData.buffer,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy ?? undefined,
  };
}
