/**
 * The seed report's experiments as rows of training configurations, grouped in tables. Every row
 * differs from its table's baseline only in the named setting(s).
 */
import { type HeadDefaults, resolveBackbone } from "../backbones/registry.js";
import type { TrainConfig } from "../train/config.js";
import { DEFAULT_LOSS } from "../train/losses.js";

export interface AblationRow {
  slug: string;
  label: string;
  overrides: Partial<TrainConfig>;
}

export interface AblationTable {
  title: string;
  note: string;
  rows: AblationRow[];
}

/** Head-training settings a row takes from its backbone's registry defaults unless set explicitly. */
export const HEAD_DEFAULT_KEYS = [
  "epochs",
  "batchSize",
  "learningRate",
] as const satisfies readonly (keyof HeadDefaults & keyof TrainConfig)[];
export type HeadDefaultKey = (typeof HEAD_DEFAULT_KEYS)[number];

/**
 * A row's full configuration: the base, then the head defaults of the row's (first) backbone for
 * every setting not given explicitly (flag or --config), then the row's own overrides. The base
 * carries the defaults of the command's backbone, which a row on another backbone must not inherit.
 */
export function rowConfig(base: TrainConfig, row: AblationRow, explicit: ReadonlySet<HeadDefaultKey>): TrainConfig {
  const backbone = row.overrides.backbones?.[0] ?? base.backbones[0];
  const defaults = backbone ? resolveBackbone(backbone).defaults : undefined;
  const fromBackbone: Partial<TrainConfig> = {};
  for (const key of HEAD_DEFAULT_KEYS) if (defaults && !explicit.has(key)) fromBackbone[key] = defaults[key];
  return { ...base, ...fromBackbone, ...row.overrides };
}

const loss = (o: Partial<TrainConfig["loss"]>) => ({ loss: { ...DEFAULT_LOSS, ...o } });

const slugPart = (backbone: string) => backbone.replace(/[^\w.-]+/g, "_");

export function ablationPlan(methodsBackbone: string, backbones: string[], bestAugmentCopies: number): AblationTable[] {
  // Slugs name run folders and picture files, so a backbone given as a path or URL is flattened.
  const backboneRows = backbones.flatMap((b) => [
    { slug: `backbone-${slugPart(b)}-ce`, label: `${b}, plain CE`, overrides: { backbones: [b] } },
    {
      slug: `backbone-${slugPart(b)}-reweight`,
      label: `${b}, re-weighted CE (total/count)`,
      overrides: { backbones: [b], ...loss({ weighting: "inverse" }) },
    },
  ]);
  const m = { backbones: [methodsBackbone] };
  const concat = { backbones, augmentCopies: bestAugmentCopies };
  const concatMlp = { ...concat, head: { hidden: [256], dropout: 0.3, standardize: true } };
  return [
    {
      title: "Backbone comparison (frozen features, linear head)",
      note: "The seed report's backbone table: each backbone with plain and re-weighted cross-entropy.",
      rows: backboneRows,
    },
    {
      title: `Methods on ${methodsBackbone} (frozen features, linear head)`,
      note: "Baseline / mixup / CutMix / focal / re-weight / CutMix + re-weight as in the seed report, plus the current long-tail baselines (balanced softmax, logit adjustment) and effective-number weights. mixup and CutMix mix pixels: one mixed copy of the training set (partner and λ ~ Beta(1, 1) drawn per image from the seed) is embedded and trained on with the λ-mixed loss, beside the plain copy.",
      rows: [
        { slug: "methods-baseline", label: "baseline (CE)", overrides: { ...m } },
        { slug: "methods-mixup", label: "mixup (pixels, α = 1)", overrides: { ...m, mix: "mixup" } },
        {
          slug: "methods-mixup-feature",
          label: "mixup (features, α = 0.4)",
          overrides: { ...m, mix: "mixup", mixSpace: "feature", mixAlpha: 0.4 },
        },
        { slug: "methods-cutmix", label: "CutMix (pixels, α = 1)", overrides: { ...m, mix: "cutmix" } },
        {
          slug: "methods-focal",
          label: "focal loss (γ = 2)",
          overrides: { ...m, ...loss({ kind: "focal", gamma: 2 }) },
        },
        {
          slug: "methods-reweight",
          label: "re-weighted CE (total/count)",
          overrides: { ...m, ...loss({ weighting: "inverse" }) },
        },
        {
          slug: "methods-cutmix-reweight",
          label: "CutMix + re-weighted CE",
          overrides: { ...m, mix: "cutmix", ...loss({ weighting: "inverse" }) },
        },
        {
          slug: "methods-effective",
          label: "effective-number weights (β = 0.999)",
          overrides: { ...m, ...loss({ weighting: "effective" }) },
        },
        {
          slug: "methods-balanced-softmax",
          label: "balanced softmax",
          overrides: { ...m, ...loss({ kind: "balanced-softmax" }) },
        },
        {
          slug: "methods-logit-adjusted",
          label: "logit-adjusted loss (τ = 1.5)",
          overrides: { ...m, ...loss({ kind: "logit-adjusted", tau: 1.5 }) },
        },
      ],
    },
    {
      title: "Stronger frozen models",
      note: `Features of ${backbones.join(" + ")} concatenated${bestAugmentCopies ? `, plus ${bestAugmentCopies} augmented cop${bestAugmentCopies > 1 ? "ies" : "y"} of the training set (flips + rotation, as in the seed report)` : ""}; MLP head (256 ReLU, dropout 0.3).`,
      rows: [
        {
          slug: "best-concat-linear-reweight",
          label: "concat, linear, re-weighted CE",
          overrides: { ...concat, ...loss({ weighting: "inverse" }) },
        },
        {
          slug: "best-concat-mlp-reweight",
          label: "concat, MLP, re-weighted CE",
          overrides: { ...concatMlp, ...loss({ weighting: "inverse" }) },
        },
        {
          slug: "best-concat-mlp-balanced",
          label: "concat, MLP, balanced softmax",
          overrides: { ...concatMlp, ...loss({ kind: "balanced-softmax" }) },
        },
        {
          slug: "best-concat-mlp-balanced-mixup",
          label: "concat, MLP, balanced softmax + feature mixup",
          overrides: {
            ...concatMlp,
            ...loss({ kind: "balanced-softmax" }),
            mix: "mixup",
            mixSpace: "feature",
            mixAlpha: 0.4,
          },
        },
      ],
    },
  ];
}
