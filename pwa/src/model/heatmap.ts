/**
 * Occlusion map: how much the top class's probability drops when each cell of a grid over the
 * model's input is covered with neutral grey. Cheap enough on a phone for a small grid. It uses the
 * unflipped view only: the card's test-time flips would multiply its cost for a picture of where the
 * model looks, not for the result itself.
 */
import { softmax } from "@pifu/core";
import type { Classifier } from "./classifier.js";

const CHUNK = 6;

/** Returns grid×grid drops, row-major, scaled so the largest is 1 (all zero when nothing matters). */
export async function occlusionMap(
  classifier: Classifier,
  input: Float32Array,
  classIndex: number,
  grid = 6,
): Promise<Float32Array> {
  const { inputSize: side, range } = classifier.card.preprocessing;
  const { temperature } = classifier.card.calibration;
  const classes = classifier.card.classes.length;
  const neutral = (range[0] + range[1]) / 2;
  const cell = Math.ceil(side / grid);
  const probabilityOf = (logits: Float32Array, item: number) =>
    softmax(logits.subarray(item * classes, (item + 1) * classes), temperature)[classIndex] as number;
  const baseline = probabilityOf(await classifier.logits(input), 0);
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
    const logits = await classifier.logits(batch, count);
    for (let item = 0; item < count; item++) drops[first + item] = Math.max(0, baseline - probabilityOf(logits, item));
  }
  const max = Math.max(...drops);
  return max > 0 ? drops.map((d) => d / max) : drops;
}
