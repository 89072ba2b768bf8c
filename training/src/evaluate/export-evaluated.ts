/**
 * Exports a model folder, evaluates that folder exactly as the PWA runs it, and writes the val
 * metrics into its card, so a card's numbers always describe its own (quantized) files.
 */
import { rm } from "node:fs/promises";
import type { ModelCard } from "@pifu/core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { type CardFields, exportModelFolder, writeModelCard } from "../export/card.js";
import type { Quantization } from "../export/quantize.js";
import { openModelDir } from "./model-dir.js";
import { type EvaluateResult, evaluateModel } from "./run.js";

export interface EvaluatedExport {
  card: ModelCard;
  /** Bytes of every file, the final card included. */
  totalBytes: number;
  evaluation: EvaluateResult;
}

/** Replaces `dir` with the exported model and returns its card (with val metrics) and evaluation. */
export async function exportEvaluated(
  model: tfl.LayersModel,
  dir: string,
  fields: CardFields,
  quantization: Quantization,
  /** Labelled folder-per-class images the metrics are measured on. */
  val: string,
): Promise<EvaluatedExport> {
  await rm(dir, { recursive: true, force: true });
  const exported = await exportModelFolder(model, dir, fields, quantization);
  const opened = await openModelDir(dir);
  const { result: evaluation, evaluation: scored } = await evaluateModel({
    model: opened.model,
    card: opened.card,
    data: val,
  });
  opened.model.dispose();
  const card: ModelCard = { ...exported.card, metrics: { val: scored.metrics } };
  const cardSize = await writeModelCard(dir, card);
  const filesSize = exported.card.files.reduce((n, f) => n + f.size, 0);
  return { card, totalBytes: filesSize + cardSize, evaluation };
}
