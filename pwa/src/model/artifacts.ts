/** Turns the files of a model folder (model.json + shards, already verified) into in-memory tfjs artifacts. */
import { joinModelArtifacts, ModelFormatError, missingShard, parseLayersModelJson, weightShardPaths } from "@pifu/core";
import type { io } from "@tensorflow/tfjs-core";

export { ModelFormatError };

/** The artifacts `tf.io.fromMemory` takes; `files` maps file names to their bytes. */
export function modelArtifacts(modelFile: string, files: ReadonlyMap<string, Uint8Array>): io.ModelArtifacts {
  const entry = files.get(modelFile);
  if (!entry) throw new ModelFormatError(`model file ${modelFile} is missing`);
  const json = parseLayersModelJson(entry, modelFile);
  const shards = weightShardPaths(json).map((name) => {
    const shard = files.get(name);
    if (!shard) throw missingShard(name, modelFile);
    return shard;
  });
  return joinModelArtifacts(json, shards);
}
