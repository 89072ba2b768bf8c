/**
 * A probability as the percentage the user reads. A rounded "100%" would claim certainty the model
 * never has, and "0%" that a condition is ruled out: those show as "above 99%" and "below 1%".
 */
import type { Translate } from "./index.js";

export function formatPercent(probability: number, t: Translate): string {
  const percent = Math.round(probability * 100);
  if (percent > 99) return t("percentAbove99");
  if (percent < 1) return t("percentBelow1");
  return `${percent}%`;
}
