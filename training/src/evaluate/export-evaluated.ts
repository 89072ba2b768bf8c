/**
 * Exports a model folder, evaluates that folder exactly as the PWA runs it, and writes the val
 * metrics into its card, so a card's numbers always describe its own (quantized) files.
 */
import type { ModelCard } from "@pifu/core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { CARD_FILE, type CardFields, exportModelFolder, writeModelCard } from "../export/card.js";
import type { Quantization } from "../export/quantize.js";
import { assertReplaceable, replaceFolder } from "../fs/replace-folder.js";
import { openModelDir } from "./model-dir.js";
import { type EvaluateResult, evaluateModel } from "./run.js";

export interface EvaluatedExport {
  card: ModelCard;
  /** Bytes of every file, the final card included. */
  totalBytes: number;
  evaluation: EvaluateResult;
}

/**
 * Replaces `dir` with the exported model and returns its card (with val metrics) and evaluation. The
 * folder is built and measured beside `dir` and swapped in only once complete; `dir` must be missing,
 * empty or a model folder, so a mistyped path never deletes anything else.
 */
export async function exportEvaluated(
  model: tfl.LayersModel,
  dir: string,
  fields: CardFields,
  quantization: Quantization,
  /** Labelled folder-per-class images the metrics are measured on. */
  val: string,
): Promise<EvaluatedExport> {
  assertReplaceable(dir, CARD_FILE);
  return replaceFolder(dir, async (partial) => {
    const exported = await exportModelFolder(model, partial, fields, quantization);
    const opened = await openModelDir(partial);
    try {
      const { result: evaluation, evaluation: scored } = await evaluateModel({
        model: opened.model,
        card: opened.card,
        data: val,
      });
      const card: ModelCard = { ...exported.card, metrics: { val: scored.metrics } };
      const cardSize = await writeModelCard(partial, card);
      const filesSize = exported.card.files.reduce((n, f) => n + f.size, 0);
      return { card, totalBytes: filesSize + cardSize, evaluation };
    } finally {
      opened.model.dispose();
    }
  });
}
