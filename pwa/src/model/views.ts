/**
 * The model's answer for whole photos: each preprocessed image is run in its card's test-time views
 * (one batch) and the views' logits are averaged, as the card's temperature and unsure rule expect.
 */
import { meanOverViews, testTimeFlips, viewBatch } from "@pifu/core";
import type { Classifier } from "./classifier.js";

/** Logits [count, classes] for `count` preprocessed images laid out back to back (HWC each). */
export async function photoLogits(classifier: Classifier, inputs: Float32Array, count = 1): Promise<Float32Array> {
  const { card } = classifier;
  const side = card.preprocessing.inputSize;
  const flips = testTimeFlips(card);
  const imageLength = side * side * 3;
  if (inputs.length !== imageLength * count) {
    throw new RangeError(`expected ${count} images of ${side}×${side}×3 values, got ${inputs.length} values`);
  }
  const batch = new Float32Array(inputs.length * flips.length);
  for (let image = 0; image < count; image++) {
    const views = viewBatch(inputs.subarray(image * imageLength, (image + 1) * imageLength), side, flips);
    batch.set(views, image * views.length);
  }
  const viewLogits = await classifier.logits(batch, count * flips.length);
  return meanOverViews(viewLogits, flips.length, card.classes.length);
}
