/** Markdown and JSON renderings of an Evaluation. */
import type { ClassificationReport, ClassRow, Evaluation } from "./report.js";

const f2 = (x: number) => x.toFixed(2);

/** The seed report's table: one row per class, then accuracy, macro avg, weighted avg. */
export function reportMarkdown(report: ClassificationReport, labels?: Record<string, string>): string {
  const row = (name: string, r: ClassRow) =>
    `| ${name} | ${f2(r.precision)} | ${f2(r.recall)} | ${f2(r.f1)} | ${r.support} |`;
  return [
    "| class | precision | recall | f1-score | support |",
    "|---|---:|---:|---:|---:|",
    ...report.classes.map((c) => row(labels?.[c] ?? c, report.perClass[c] as ClassRow)),
    `| accuracy | | | ${f2(report.accuracy)} | ${report.support} |`,
    row("macro avg", report.macroAvg),
    row("weighted avg", report.weightedAvg),
  ].join("\n");
}

export function confusionMarkdown(confusion: number[][], classes: readonly string[]): string {
  return [
    `| true \\ predicted | ${classes.join(" | ")} |`,
    `|---|${classes.map(() => "---:").join("|")}|`,
    ...confusion.map((row, i) => `| ${classes[i]} | ${row.join(" | ")} |`),
  ].join("\n");
}

export function evaluationMarkdown(evaluation: Evaluation, title = "Evaluation"): string {
  const { metrics, report, confusion } = evaluation;
  const parts = [
    `### ${title}`,
    "",
    reportMarkdown(report),
    "",
    `Top-3 accuracy ${f2(metrics.top3Accuracy)}; expected calibration error (15 bins) ${metrics.ece.toFixed(3)}.`,
    "",
    "Confusion matrix (rows: true class, columns: predicted):",
    "",
    confusionMarkdown(confusion, report.classes),
  ];
  if (metrics.perSource) {
    parts.push(
      "",
      "Per source:",
      "",
      "| source | accuracy | macro-F1 (classes present) | support |",
      "|---|---:|---:|---:|",
      ...Object.entries(metrics.perSource).map(
        ([s, m]) => `| ${s} | ${f2(m.accuracy)} | ${f2(m.macroF1)} | ${m.support} |`,
      ),
    );
  }
  return parts.join("\n");
}

export function evaluationJson(evaluation: Evaluation): string {
  return `${JSON.stringify(evaluation, null, 2)}\n`;
}
