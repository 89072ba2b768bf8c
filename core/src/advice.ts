/**
 * When a result should tell the person to see a doctor: the model is unsure, the photo failed the
 * quality gate and was checked anyway, or any class that usually needs a doctor (or one core does not
 * know, so cannot vouch for) is at least DOCTOR_ADVICE_THRESHOLD likely. Every class counts, not only
 * the top three shown.
 */
import { type ClassInfo, classById, SKIN8_CLASSES } from "./labels.js";
import type { Interpretation } from "./postprocess.js";

/** A condition this likely (or likelier) that usually needs a doctor turns the advice to "see a doctor". */
export const DOCTOR_ADVICE_THRESHOLD = 0.1;

/**
 * `classIds[i]` names probability i (a model card's class order); `known` is what core can vouch for.
 * `poorPhoto`: the photo was too dark, bright, blurry or small, so no result from it can reassure.
 */
export function needsDoctor(
  interpretation: Pick<Interpretation, "probabilities" | "unsure"> & { poorPhoto?: boolean },
  classIds: readonly string[],
  known: readonly ClassInfo[] = SKIN8_CLASSES,
): boolean {
  if (interpretation.unsure || interpretation.poorPhoto) return true;
  return Array.from(interpretation.probabilities).some((probability, index) => {
    if (probability < DOCTOR_ADVICE_THRESHOLD) return false;
    const id = classIds[index];
    return id === undefined || (classById(id, known)?.needsDoctor ?? true);
  });
}
