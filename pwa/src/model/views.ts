/**
 * The model's answer for whole photos: each preprocessed image is run in its card's test-time views
 * (one batch) and the views' logits are averaged, as the card's temperature and unsure rule expect.
 */
import { meanOverViews, testTimeFlips, viewBatch } from "@pifu/core";
import type { Classifier } from "./classifier.js";

/** Logits [images, classes] for one or more preprocessed images laid out back to back (HWC each). */
export async function photoLogits(classifier: Classifier, inputs: Float32Array): Promise<Float32Array> {
  const { card } = classifier;
  const side = card.preprocessing.inputSize;
  const flips = testTimeFlips(card);
  const batch = viewBatch(inputs, side, flips);
  const viewLogits = await classifier.logits(batch, batch.length / (side * side * 3));
  return meanOverViews(viewLogits, flips.length, card.classes.length);
}
