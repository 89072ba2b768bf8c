/** Exports a trained model as a complete pifu model folder: weights, model.json and a validated card. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MODEL_CARD_SCHEMA_VERSION, type ModelCard, ModelCardSchema, sha256Hex } from "@pifu/core";
import type * as tfl from "@tensorflow/tfjs-layers";
import type { Quantization } from "./quantize.js";
import { folderWriter, type ModelFiles } from "./writer.js";

export const CARD_FILE = "model-card.json";

/** Everything on the card that the export itself does not determine. */
export type CardFields = Omit<ModelCard, "schemaVersion" | "files" | "modelFile" | "quantization">;

/** Builds the card for a set of files and validates it with the contract's schema (throws if invalid). */
export async function buildModelCard(
  fields: CardFields,
  files: ModelFiles,
  quantization: Quantization,
): Promise<ModelCard> {
  const entries = await Promise.all(
    [...files].map(async ([name, bytes]) => ({ name, sha256: await sha256Hex(bytes), size: bytes.byteLength })),
  );
  return ModelCardSchema.parse({
    schemaVersion: MODEL_CARD_SCHEMA_VERSION,
    ...fields,
    quantization,
    modelFile: "model.json",
    files: entries,
  });
}

/** Writes (or rewrites, e.g. with final metrics) a card after validating it; files are not touched. */
export async function writeModelCard(dir: string, card: ModelCard): Promise<number> {
  const bytes = new TextEncoder().encode(`${JSON.stringify(ModelCardSchema.parse(card), null, 2)}\n`);
  await writeFile(join(dir, CARD_FILE), bytes);
  return bytes.byteLength;
}

export interface ExportedModel {
  card: ModelCard;
  files: ModelFiles;
  /** Bytes of every file including the card. */
  totalBytes: number;
}

/** Writes model.json, shards and model-card.json into `dir`. */
export async function exportModelFolder(
  model: tfl.LayersModel,
  dir: string,
  fields: CardFields,
  quantization: Quantization = "float16",
): Promise<ExportedModel> {
  const handler = folderWriter(dir, { quantization });
  await model.save(handler);
  if (!handler.files) throw new Error("model.save did not produce files");
  const card = await buildModelCard(fields, handler.files, quantization);
  const cardSize = await writeModelCard(dir, card);
  const totalBytes = [...handler.files.values()].reduce((n, b) => n + b.byteLength, cardSize);
  return { card, files: handler.files, totalBytes };
}
