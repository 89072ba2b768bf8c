/**
 * Frozen-backbone data: embeds the plain training set, optional augmented copies and optional
 * pixel-mixed copies (per backbone, through the feature cache) and lays them out as training rows;
 * embeds validation images once. Images that fail to decode are dropped and reported.
 */
import { AUGMENT_PRESETS } from "../augment/index.js";
import { type BackboneSpec, resolveBackbone } from "../backbones/index.js";
import type { BackendName } from "../backend/index.js";
import type { DatasetItem, SkippedFile } from "../data/index.js";
import {
  augmentJobs,
  type EmbedJob,
  embedJobs,
  fileDigests,
  type ImageRef,
  mixJobs,
  plainJobs,
} from "../features/index.js";
import type { TrainConfig } from "./config.js";
import type { EvalRows, TrainingRows } from "./loop.js";

export interface FrozenDataOptions
  extends Pick<TrainConfig, "augment" | "augmentCopies" | "mix" | "mixAlpha" | "mixSpace" | "mixCopies" | "seed"> {
  backbones: BackboneSpec[];
  backend: BackendName;
  workers: number;
  cacheDir: string;
  onStage?: (label: string, done: number, total: number) => void;
}

export interface FrozenData {
  train: TrainingRows;
  val: EvalRows;
  /** Training images actually used (after dropping undecodable ones). */
  trainItems: DatasetItem[];
  valItems: DatasetItem[];
  skipped: SkippedFile[];
  backboneSha256: string[];
  featureDim: number;
  embedSeconds: number;
  cachedShare: number;
}

export function backboneSpecs(
  names: string[],
  layer?: string,
  range?: [number, number],
  inputSize?: number,
): BackboneSpec[] {
  if (names.length > 1 && layer) throw new Error("--layer applies to a single backbone");
  return names.map(
    (name) =>
      resolveBackbone(name, {
        ...(layer ? { layer } : {}),
        ...(range ? { range } : {}),
        ...(inputSize ? { inputSize } : {}),
      }).spec,
  );
}

async function refs(items: DatasetItem[], skipped: SkippedFile[]): Promise<{ items: DatasetItem[]; refs: ImageRef[] }> {
  const digests = await fileDigests(items.map((i) => i.path));
  const kept: DatasetItem[] = [];
  const out: ImageRef[] = [];
  for (const [i, item] of items.entries()) {
    const sha256 = digests[i];
    if (sha256 === undefined) skipped.push({ path: item.path, reason: "cannot be read" });
    else {
      kept.push(item);
      out.push({ path: item.path, sha256 });
    }
  }
  return { items: kept, refs: out };
}

interface Variant {
  label: string;
  jobs: EmbedJob[];
  /** Index into the image list of each job's own image and its partner. */
  own: number[];
  partner: number[];
}

export async function prepareFrozenData(
  trainItemsIn: DatasetItem[],
  valItemsIn: DatasetItem[],
  options: FrozenDataOptions,
): Promise<FrozenData> {
  const skipped: SkippedFile[] = [];
  const trainRefs = await refs(trainItemsIn, skipped);
  const valRefs = await refs(valItemsIn, skipped);
  const identity = trainRefs.refs.map((_, i) => i);
  const variants: Variant[] = [{ label: "train", jobs: plainJobs(trainRefs.refs), own: identity, partner: identity }];
  const augment = AUGMENT_PRESETS[options.augment];
  if (!augment)
    throw new Error(
      `unknown augmentation preset "${options.augment}"; valid: ${Object.keys(AUGMENT_PRESETS).join(", ")}`,
    );
  for (let c = 0; c < options.augmentCopies; c++) {
    variants.push({
      label: `augment ${c + 1}`,
      jobs: augmentJobs(trainRefs.refs, augment, options.seed, c),
      own: identity,
      partner: identity,
    });
  }
  if (options.mix !== "none" && options.mixSpace === "pixel") {
    for (let c = 0; c < options.mixCopies; c++) {
      const augmentForMix = options.augment === "none" ? undefined : augment;
      const { jobs, partners } = mixJobs(trainRefs.refs, options.mix, options.mixAlpha, augmentForMix, options.seed, c);
      variants.push({ label: `${options.mix} ${c + 1}`, jobs, own: identity, partner: partners });
    }
  }
  const valJobs = plainJobs(valRefs.refs);

  // Embed every variant with every backbone; a row survives only if all its embeddings did.
  const started = performance.now();
  let cached = 0;
  let total = 0;
  const trainParts: { features: Float32Array; dim: number; lambdas: Float32Array; failed: Set<number> }[][] = [];
  const valParts: { features: Float32Array; dim: number; failed: Set<number> }[] = [];
  const shas: string[] = [];
  for (const spec of options.backbones) {
    const perVariant: (typeof trainParts)[number] = [];
    for (const variant of [...variants, { label: "val", jobs: valJobs, own: [], partner: [] }]) {
      const out = await embedJobs(spec, variant.jobs, {
        backend: options.backend,
        workers: options.workers,
        cacheDir: options.cacheDir,
        onProgress: (done, all) => options.onStage?.(`${spec.name}: ${variant.label}`, done, all),
      });
      cached += out.cached;
      total += variant.jobs.length;
      const failed = new Set(out.failed.map((f) => f.index));
      if (variant.label === "val") valParts.push({ features: out.features, dim: out.dim, failed });
      else perVariant.push({ features: out.features, dim: out.dim, lambdas: out.lambdas, failed });
      if (variant.label === "train" || variant.label === "val") {
        for (const f of out.failed)
          if (!skipped.some((s) => s.path === f.path)) skipped.push({ path: f.path, reason: f.reason });
      }
      if (!shas.includes(out.backboneSha256)) shas.push(out.backboneSha256);
    }
    trainParts.push(perVariant);
  }
  const dims = trainParts.map((p) => p[0]?.dim ?? 0);
  const featureDim = dims.reduce((a, b) => a + b, 0);
  const badImage = new Set<number>();
  for (const perVariant of trainParts) for (const i of perVariant[0]?.failed ?? []) badImage.add(i);

  // Training rows.
  const rows: { variant: number; job: number }[] = [];
  for (const [v, variant] of variants.entries()) {
    for (let j = 0; j < variant.jobs.length; j++) {
      const failed = trainParts.some((p) => p[v]?.failed.has(j));
      if (!failed && !badImage.has(variant.own[j] as number) && !badImage.has(variant.partner[j] as number))
        rows.push({ variant: v, job: j });
    }
  }
  const x = new Float32Array(rows.length * featureDim);
  const labelA = new Int32Array(rows.length);
  const labelB = new Int32Array(rows.length);
  const lambda = new Float32Array(rows.length);
  for (const [r, { variant: v, job: j }] of rows.entries()) {
    let offset = r * featureDim;
    for (const [b, perVariant] of trainParts.entries()) {
      const part = perVariant[v] as (typeof perVariant)[number];
      const dim = dims[b] as number;
      x.set(part.features.subarray(j * dim, (j + 1) * dim), offset);
      offset += dim;
    }
    const variant = variants[v] as Variant;
    labelA[r] = (trainRefs.items[variant.own[j] as number] as DatasetItem).label;
    labelB[r] = (trainRefs.items[variant.partner[j] as number] as DatasetItem).label;
    lambda[r] = (trainParts[0]?.[v]?.lambdas[j] as number) ?? 1;
  }

  // Validation rows.
  const badVal = new Set<number>();
  for (const p of valParts) for (const i of p.failed) badVal.add(i);
  const valKept = valRefs.items.filter((_, i) => !badVal.has(i));
  const valX = new Float32Array(valKept.length * featureDim);
  let vr = 0;
  for (let i = 0; i < valRefs.items.length; i++) {
    if (badVal.has(i)) continue;
    let offset = vr * featureDim;
    for (const [b, p] of valParts.entries()) {
      const dim = dims[b] as number;
      valX.set(p.features.subarray(i * dim, (i + 1) * dim), offset);
      offset += dim;
    }
    vr++;
  }
  return {
    train: { x, rowShape: [featureDim], labelA, labelB, lambda },
    val: {
      x: valX,
      rowShape: [featureDim],
      labels: Int32Array.from(valKept, (i) => i.label),
      sources: valKept.map((i) => i.source),
    },
    trainItems: trainRefs.items.filter((_, i) => !badImage.has(i)),
    valItems: valKept,
    skipped,
    backboneSha256: shas,
    featureDim,
    embedSeconds: (performance.now() - started) / 1000,
    cachedShare: total ? cached / total : 0,
  };
}
