import type { Rng } from "./rng.js";

/**
 * Stratified split: each class contributes round(n × fraction) items to the held-out part (at least
 * one when the class has two or more), so rare classes appear on both sides.
 */
export function stratifiedSplit<T extends { label: number }>(
  items: readonly T[],
  fraction: number,
  rng: Rng,
): { train: T[]; heldOut: T[] } {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`fraction must be in (0, 1), got ${fraction}`);
  const byClass = new Map<number, T[]>();
  for (const item of items) byClass.set(item.label, [...(byClass.get(item.label) ?? []), item]);
  const train: T[] = [];
  const heldOut: T[] = [];
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const group = rng.shuffle([...(byClass.get(label) ?? [])]);
    let take = Math.round(group.length * fraction);
    if (group.length >= 2) take = Math.min(group.length - 1, Math.max(1, take));
    heldOut.push(...group.slice(0, take));
    train.push(...group.slice(take));
  }
  return { train, heldOut };
}
