/**
 * Curriculum over samples: the first epoch sees a class-balanced subset (at most `balancedPerClass`
 * images of each class); the remaining images join in a fixed seeded order, linearly over
 * `rampEpochs` epochs, after which every image is used.
 */
import type { Rng } from "../data/rng.js";

export interface CurriculumSpec {
  balancedPerClass: number;
  rampEpochs: number;
}

/** Returns epoch → sample indices. */
export function curriculumSchedule(
  labels: ArrayLike<number>,
  numClasses: number,
  spec: CurriculumSpec,
  rng: Rng,
): (epoch: number) => number[] {
  if (!(spec.balancedPerClass >= 1)) throw new RangeError("balancedPerClass must be at least 1");
  if (!(spec.rampEpochs >= 1)) throw new RangeError("rampEpochs must be at least 1");
  const byClass = Array.from({ length: numClasses }, () => [] as number[]);
  for (let i = 0; i < labels.length; i++) byClass[labels[i] as number]?.push(i);
  const balanced: number[] = [];
  const rest: number[] = [];
  for (const members of byClass) {
    const shuffled = rng.shuffle([...members]);
    balanced.push(...shuffled.slice(0, spec.balancedPerClass));
    rest.push(...shuffled.slice(spec.balancedPerClass));
  }
  rng.shuffle(rest);
  return (epoch) => {
    const share = Math.min(1, Math.max(0, epoch / spec.rampEpochs));
    return [...balanced, ...rest.slice(0, Math.round(share * rest.length))];
  };
}

/** No curriculum: every sample every epoch. */
export function fullSchedule(count: number): (epoch: number) => number[] {
  const all = Array.from({ length: count }, (_, i) => i);
  return () => all;
}
