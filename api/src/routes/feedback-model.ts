/**
 * Feedback must fit the model it names: the version is published and every label is one of that
 * card's classes (the confirmed label may also be "unknown"), so made-up labels never reach training.
 */
import { type FeedbackRecord, UNKNOWN_LABEL, unpublishedModelMessage } from "@pifu/core";
import type { ErrorCode } from "../errors.js";
import type { PublishedCard } from "../storage/published-cards.js";

export interface ModelMismatch {
  code: Extract<ErrorCode, "unknown_model" | "unknown_label">;
  message: string;
}

/** Why `record` does not fit `card` (the card of its modelVersion, null when not published); undefined when it fits. */
export function modelMismatch(record: FeedbackRecord, card: PublishedCard | null): ModelMismatch | undefined {
  if (!card) return { code: "unknown_model", message: unpublishedModelMessage(record.modelVersion) };
  const classes = `the classes of model ${card.version} are ${[...card.classIds].join(", ")}`;
  for (const [i, { label }] of record.prediction.entries()) {
    if (!card.classIds.has(label)) {
      return {
        code: "unknown_label",
        message: `prediction[${i}].label ${JSON.stringify(label)} is unknown: ${classes}`,
      };
    }
  }
  const confirmed = record.confirmedLabel;
  if (confirmed !== UNKNOWN_LABEL && !card.classIds.has(confirmed)) {
    const message = `confirmedLabel ${JSON.stringify(confirmed)} is unknown: ${classes}, or "${UNKNOWN_LABEL}"`;
    return { code: "unknown_label", message };
  }
  return undefined;
}
