/**
 * Loads a TensorFlow.js layers model from a folder through stock `tf.loadLayersModel`, so any
 * quantization in the weights manifest is dequantized exactly as in the browser.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ModelFormatError, type ReadModelFile, readLayersModelArtifacts } from "@pifu/core";
import type * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

/** Reads files from a folder; undefined when missing. */
export function folderReader(dir: string): ReadModelFile {
  return async (name) => {
    try {
      return new Uint8Array(await readFile(join(dir, name)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  };
}

/** An IOHandler whose `load` reads model.json and its shards through `read`. */
export function readerIOHandler(read: ReadModelFile, modelFile = "model.json"): tf.io.IOHandler {
  return {
    load: async () => {
      const jsonBytes = await read(modelFile);
      if (!jsonBytes) throw new ModelFormatError(`${modelFile} is missing`);
      return readLayersModelArtifacts(jsonBytes, read, modelFile);
    },
  };
}

export function loadLayersModelFromDir(dir: string, modelFile = "model.json"): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(readerIOHandler(folderReader(dir), modelFile));
}
