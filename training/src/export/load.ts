/**
 * Loads a TensorFlow.js layers model from a folder through stock `tf.loadLayersModel`, so any
 * quantization in the weights manifest is dequantized exactly as in the browser.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

export type ReadFile = (name: string) => Promise<Uint8Array | undefined>;

/** Reads files from a folder; undefined when missing. */
export function folderReader(dir: string): ReadFile {
  return async (name) => {
    try {
      return new Uint8Array(await readFile(join(dir, name)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  };
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** An IOHandler whose `load` reads model.json and its shards through `read`. */
export function readerIOHandler(read: ReadFile, modelFile = "model.json"): tf.io.IOHandler {
  return {
    load: async () => {
      const jsonBytes = await read(modelFile);
      if (!jsonBytes) throw new Error(`${modelFile} is missing`);
      const modelJSON = JSON.parse(new TextDecoder().decode(jsonBytes)) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const path of group.paths) {
            const shard = await read(path);
            if (!shard) throw new Error(`weight shard ${path} named in ${modelFile} is missing`);
            buffers.push(toArrayBuffer(shard));
          }
        }
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

export function loadLayersModelFromDir(dir: string, modelFile = "model.json"): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(readerIOHandler(folderReader(dir), modelFile));
}
