/**
 * Opens an exported model folder exactly as the PWA does: parse model-card.json, verify every file's
 * size and sha256 with core `verifyModelCard`, then `tf.loadLayersModel` from those same bytes.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type ModelCard, modelShapeMismatch, verifyModelCard } from "@pifu/core";
import * as tfl from "@tensorflow/tfjs-layers";
import { CARD_FILE } from "../export/card.js";
import { folderReader, readerIOHandler } from "../export/load.js";

export class ModelDirError extends Error {
  override name = "ModelDirError";
}

export interface OpenedModel {
  card: ModelCard;
  model: tfl.LayersModel;
}

export async function openModelDir(dir: string): Promise<OpenedModel> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(join(dir, CARD_FILE), "utf8"));
  } catch (error) {
    throw new ModelDirError(`cannot read ${join(dir, CARD_FILE)}: ${(error as Error).message}`);
  }
  const verified = new Map<string, Uint8Array>();
  const read = folderReader(dir);
  let card: ModelCard;
  try {
    card = await verifyModelCard(raw, async (name) => {
      const bytes = await read(name);
      if (bytes) verified.set(name, bytes);
      return bytes;
    });
  } catch (error) {
    throw new ModelDirError(`${dir} is not a valid model folder: ${(error as Error).message}`);
  }
  // Load from the bytes that were verified, so nothing can change between check and use.
  const model = await tfl.loadLayersModel(readerIOHandler(async (name) => verified.get(name), card.modelFile));
  const mismatch = modelShapeMismatch(card, model.inputs[0]?.shape, model.outputs[0]?.shape);
  if (mismatch) {
    model.dispose();
    throw new ModelDirError(`${dir}: ${mismatch}`);
  }
  return { card, model };
}
