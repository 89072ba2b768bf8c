/**
 * One check of one photo: the contract's preprocessing, the model over the card's test-time views
 * (their logits averaged), then the contract's interpretation.
 */
import {
  type FeedbackRecord,
  type Interpretation,
  interpretLogits,
  type ModelCard,
  preprocess,
  type RawImage,
} from "@pifu/core";
import type { Classifier } from "./model/classifier.js";
import { photoLogits } from "./model/views.js";
import type { QualityProblem } from "./quality/quality.js";

export interface CheckResult {
  id: string;
  /** The id of this check's doctor feedback: one per check, so saving again replaces the queued record. */
  feedbackId: string;
  createdAt: number;
  card: ModelCard;
  thumbnail: Blob;
  /** The preprocessed model input (before the test-time views), kept for the heat map. */
  input: Float32Array;
  interpretation: Interpretation;
  /** What the quality gate found in a photo checked anyway; empty when it passed. */
  qualityProblems: QualityProblem[];
}

export async function runCheck(
  classifier: Classifier,
  pixels: RawImage,
  thumbnail: Blob,
  qualityProblems: QualityProblem[] = [],
): Promise<CheckResult> {
  const { card } = classifier;
  const input = preprocess(pixels, card.preprocessing);
  const logits = await photoLogits(classifier, input);
  return {
    id: crypto.randomUUID(),
    feedbackId: crypto.randomUUID(),
    createdAt: Date.now(),
    card,
    thumbnail,
    input,
    interpretation: interpretLogits(logits, card.calibration, card.unsure),
    qualityProblems,
  };
}

/** Top results as labels with probabilities rounded to 4 places. */
export function topLabels(check: CheckResult): FeedbackRecord["prediction"] {
  return check.interpretation.top.map(({ index, probability }) => ({
    label: check.card.classes[index]?.id ?? "unknown",
    probability: Math.round(probability * 10_000) / 10_000,
  }));
}

/** Today's local calendar day, YYYY-MM-DD (feedback carries a day, never a time). */
export function today(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}
