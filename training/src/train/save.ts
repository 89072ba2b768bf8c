/** Saves a layers model as model.json + one float32 weight shard (tfjs's own file layout). */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type * as tfl from "@tensorflow/tfjs-layers";
import { tf } from "../backend/index.js";

export const WEIGHTS_FILE = "group1-shard1of1.bin";

export async function saveLayersModel(model: tfl.LayersModel, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const bytes =
        data === undefined
          ? new Uint8Array()
          : new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data);
      await writeFile(join(dir, WEIGHTS_FILE), bytes);
      const json = {
        format: artifacts.format ?? "layers-model",
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeFile(join(dir, "model.json"), JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}
