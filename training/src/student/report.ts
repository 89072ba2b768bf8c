/** Markdown tables of a student run (the numbers in docs/results/student.md come from here). */
import { reportMarkdown } from "../metrics/index.js";
import type { CalibratedExport } from "./calibrate-export.js";
import type { StudentSummary } from "./pipeline.js";

/** Three decimals, or "n/a" for a metric the run has no data for (NaN). */
export const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "n/a");

export function studentMarkdown(summary: StudentSummary): string {
  const ev = summary.exported.evaluation;
  return [
    "### Class subsets by training count",
    "",
    "| subset | classes (training images) |",
    "|---|---|",
    ...summary.subsets.map(
      (s) => `| ${s.name} | ${s.classes.map((c, i) => `${c} (${s.trainCounts[i]})`).join(", ")} |`,
    ),
    "",
    ...teachersSection(summary),
    "",
    `### Ablation (student head on frozen MobileNetV2-0.35 features; val, ${ev.support} images)`,
    "",
    "| row | KD | curriculum | accuracy | macro-F1 | seb. derm. F1 | ECE after T |",
    "|---|---|---|---:|---:|---:|---:|",
    ...summary.ablation.map(
      (r) =>
        `| ${r.name} | ${r.kd} | ${r.curriculum ? "yes" : "no"} | ${f3(r.accuracy)} | ${f3(r.macroF1)} | ${f3(r.seborrheicF1)} | ${f3(r.ece)} |`,
    ),
    "",
    exportedMarkdown(summary),
  ].join("\n");
}

/** The sections every student has, trained here or imported: quantization, calibration, the shipped model's report. */
export function exportedMarkdown(summary: CalibratedExport): string {
  const ev = summary.exported.evaluation;
  const classes = ev.classes;
  const report = {
    classes,
    perClass: ev.perClass,
    accuracy: ev.accuracy,
    macroAvg: {
      precision: avg(classes.map((c) => ev.perClass[c]?.precision ?? 0)),
      recall: avg(classes.map((c) => ev.perClass[c]?.recall ?? 0)),
      f1: ev.macroF1,
      support: ev.support,
    },
    weightedAvg: weighted(ev),
    support: ev.support,
  };
  return [
    "### Quantization (the exported folder evaluated on val as the PWA runs it)",
    "",
    "| weights | total bytes | accuracy | macro-F1 | Δ macro-F1 vs float32 |",
    "|---|---:|---:|---:|---:|",
    ...summary.quantization.map((q) => {
      const base = summary.quantization.find((x) => x.quantization === "float32")?.macroF1 ?? q.macroF1;
      return `| ${q.quantization} | ${q.totalBytes} | ${f3(q.accuracy)} | ${f3(q.macroF1)} | ${(q.macroF1 - base).toFixed(4)} |`;
    }),
    "",
    "### Calibration and the unsure rule",
    "",
    `Temperature T = ${summary.calibration.temperature.toFixed(3)} (fitted on val by NLL: ${summary.calibration.nllBefore.toFixed(3)} → ${summary.calibration.nllAfter.toFixed(3)}); ECE (15 bins) ${summary.calibration.eceBefore.toFixed(3)} → ${summary.calibration.eceAfter.toFixed(3)}.`,
    "",
    `Unsure when ${summary.unsure.score} score > ${summary.unsure.threshold.toFixed(4)} (coverage ${summary.unsure.coverage.toFixed(3)} of val answered). AUROC of each score for telling misclassified from correct val images: ${Object.entries(
      summary.unsure.errorAuroc,
    )
      .map(([k, v]) => `${k} ${v.toFixed(3)}`)
      .join(", ")}.`,
    "",
    `### The shipped model on val (${summary.exported.totalBytes} bytes, ${summary.exported.evaluation.model.quantization})`,
    "",
    reportMarkdown(report),
    "",
    `Top-3 accuracy ${f3(ev.top3Accuracy)}; ECE ${f3(ev.ece)}; unsure on ${(100 * ev.unsureRateIn).toFixed(1)}% of val images.`,
    "",
    ...(ev.perSource
      ? [
          "| source | accuracy | macro-F1 (classes present) | support |",
          "|---|---:|---:|---:|",
          ...Object.entries(ev.perSource).map(
            ([s, m]) => `| ${s} | ${f3(m.accuracy)} | ${f3(m.macroF1)} | ${m.support} |`,
          ),
        ]
      : []),
  ].join("\n");
}

function avg(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

function weighted(ev: StudentSummary["exported"]["evaluation"]) {
  const rows = ev.classes.map((c) => ev.perClass[c]).filter((r) => r !== undefined);
  const total = rows.reduce((n, r) => n + r.support, 0);
  const w = (pick: (r: (typeof rows)[number]) => number) =>
    rows.reduce((a, r) => a + pick(r) * r.support, 0) / Math.max(1, total);
  return { precision: w((r) => r.precision), recall: w((r) => r.recall), f1: ev.weightedF1, support: ev.support };
}

/** The per-subset teachers' table, or what the student learnt from instead when none was trained. */
function teachersSection({ teachers, config }: StudentSummary): string[] {
  if (teachers.length === 0) return ["### Teachers", "", noTeachersReason(config)];
  return [
    "### Teachers (val, within each subset's classes)",
    "",
    "| subset | train images | val accuracy | val macro-F1 |",
    "|---|---:|---:|---:|",
    ...teachers.map((t) => `| ${t.subset} | ${t.trainImages} | ${f3(t.valAccuracy)} | ${f3(t.valMacroF1)} |`),
  ];
}

function noTeachersReason(config: StudentSummary["config"]): string {
  if (config.teacherLogits !== undefined)
    return `None trained: the student distils the soft targets in ${config.teacherLogits}.`;
  if (config.kd === null) return "None: the student learns from the labels alone (no distillation).";
  return "None: every subset holds a single class.";
}
