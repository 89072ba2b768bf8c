/** Markdown tables of a leave-one-class-out OOD proxy run (see ood-proxy.ts). */
import { FEATURE_SCORES } from "../calibrate/feature-distance.js";
import { UNSURE_SCORES, type UnsureScoreName } from "../calibrate/unsure.js";
import type { OodProxyResult } from "./ood-proxy.js";

const f3 = (x: number) => x.toFixed(3);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function oodProxyMarkdown(result: OodProxyResult, shippedScore: UnsureScoreName): string {
  const mark = (s: UnsureScoreName) => (s === shippedScore ? `**${s}** (shipped)` : s);
  const lines: string[] = [];
  lines.push(
    `AUROC of each unsure score, held-out class ("out": all its train + val images) vs. the other classes' val images ("in"); the shipped rule's score is **${shippedScore}**.`,
    "",
    `| held out | out images | in images | in acc. / macro-F1 | T | ${UNSURE_SCORES.map(mark).join(" | ")} |`,
    `|---|---:|---:|---:|---:|${UNSURE_SCORES.map(() => "---:").join("|")}|`,
  );
  for (const f of result.folds) {
    lines.push(
      `| ${f.heldOut} | ${f.outSupport.train + f.outSupport.val} | ${f.inSupport} | ${f3(f.inAccuracy)} / ${f3(f.inMacroF1)} | ${f.temperature.toFixed(2)} | ${UNSURE_SCORES.map((s) => f3(f.scores[s].auroc)).join(" | ")} |`,
    );
  }
  const s = result.summary;
  lines.push(
    `| **mean** | | | | | ${UNSURE_SCORES.map((x) => `**${f3(s[x].meanAuroc)}**`).join(" | ")} |`,
    `| **min** | | | | | ${UNSURE_SCORES.map((x) => `**${f3(s[x].minAuroc)}** (${s[x].minClass})`).join(" | ")} |`,
    "",
    `Unsure rate on in / out at each score's threshold for ${pct(result.coverage)} coverage of the fold's in-val images:`,
    "",
    `| held out | ${UNSURE_SCORES.map(mark).join(" | ")} |`,
    `|---|${UNSURE_SCORES.map(() => "---:").join("|")}|`,
  );
  for (const f of result.folds) {
    lines.push(
      `| ${f.heldOut} | ${UNSURE_SCORES.map((x) => `${pct(f.scores[x].unsureRateIn)} / ${pct(f.scores[x].unsureRateOut)}`).join(" | ")} |`,
    );
  }
  lines.push(
    `| **mean** | ${UNSURE_SCORES.map((x) => `**${pct(s[x].meanUnsureRateIn)} / ${pct(s[x].meanUnsureRateOut)}**`).join(" | ")} |`,
    "",
    "AUROC of feature-space scores (research, not shipped): cosine distance of each image's unflipped MobileNetV2 features to the nearest train image, and to the nearest class mean, of the fold's known classes:",
    "",
    `| held out | ${FEATURE_SCORES.join(" | ")} |`,
    `|---|${FEATURE_SCORES.map(() => "---:").join("|")}|`,
    ...result.folds.map((f) => `| ${f.heldOut} | ${FEATURE_SCORES.map((x) => f3(f.featureAuroc[x])).join(" | ")} |`),
    `| **mean** | ${FEATURE_SCORES.map((x) => `**${f3(result.featureSummary[x].meanAuroc)}**`).join(" | ")} |`,
    `| **min** | ${FEATURE_SCORES.map((x) => `**${f3(result.featureSummary[x].minAuroc)}** (${result.featureSummary[x].minClass})`).join(" | ")} |`,
  );
  return lines.join("\n");
}
