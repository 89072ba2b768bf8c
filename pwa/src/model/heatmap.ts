/**
 * Occlusion map: how much the top class's probability drops when each cell of a grid over the
 * model's input is covered with neutral grey. Every occluded copy is run in the card's test-time
 * views, as the check itself is, so the baseline is the very probability the result shows; a 6×6
 * grid with four views costs 144 model passes, a few seconds on a phone.
 */
import { softmax } from "@pifu/core";
import type { Classifier } from "./classifier.js";
import { photoLogits } from "./views.js";

/** Occluded copies per model call (times the card's views). */
const CHUNK = 6;

/** Returns grid×grid drops, row-major, scaled so the largest is 1 (all zero when nothing matters). */
export function occlusionMap(
  classifier: Classifier,
  input: Float32Array,
  classIndex: number,
  grid = 6,
): Promise<Float32Array> {
  // Every pass on one model, kept loaded should an update replace it meanwhile.
  return classifier.hold(() => occlusionDrops(classifier, input, classIndex, grid));
}

async function occlusionDrops(classifier: Classifier, input: Float32Array, classIndex: number, grid: number) {
  const { inputSize: side, range } = classifier.card.preprocessing;
  const { temperature } = classifier.card.calibration;
  const classes = classifier.card.classes.length;
  const neutral = (range[0] + range[1]) / 2;
  const cell = Math.ceil(side / grid);
  const probabilityOf = (logits: Float32Array, item: number) =>
    softmax(logits.subarray(item * classes, (item + 1) * classes), temperature)[classIndex] as number;
  const baseline = probabilityOf(await photoLogits(classifier, input), 0);
  const drops = new Float32Array(grid * grid);
  for (let first = 0; first < drops.length; first += CHUNK) {
    const count = Math.min(CHUNK, drops.length - first);
    const batch = new Float32Array(input.length * count);
    for (let item = 0; item < count; item++) {
      const offset = item * input.length;
      batch.set(input, offset);
      const gy = Math.floor((first + item) / grid);
      const gx = (first + item) % grid;
      for (let y = gy * cell; y < Math.min(side, (gy + 1) * cell); y++) {
        batch.fill(
          neutral,
          offset + (y * side + gx * cell) * 3,
          offset + (y * side + Math.min(side, (gx + 1) * cell)) * 3,
        );
      }
    }
    const logits = await photoLogits(classifier, batch);
    for (let item = 0; item < count; item++) drops[first + item] = Math.max(0, baseline - probabilityOf(logits, item));
  }
  const max = Math.max(...drops);
  return max > 0 ? drops.map((d) => d / max) : drops;
}
