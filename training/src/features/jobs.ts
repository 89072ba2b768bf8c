/**
 * What to embed: one image, optionally augmented, optionally mixed with a partner image. Each job
 * carries its own seeds and cache key, so results do not depend on which worker runs it or when.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { AugmentSpec, MixMode } from "../augment/index.js";
import { Rng } from "../data/rng.js";

export interface EmbedJob {
  path: string;
  /** sha256 of the file at `path`: failed decodes are remembered under it. */
  sha256?: string;
  /** Content + variant key: the image part of the feature-cache key. */
  cacheKey: string;
  augment?: { spec: AugmentSpec; seed: number };
  mix?: {
    partnerPath: string;
    partnerSha256?: string;
    partnerAugment?: { spec: AugmentSpec; seed: number };
    mode: Exclude<MixMode, "none">;
    alpha: number;
    seed: number;
  };
}

export interface EmbedResult {
  features?: Float32Array;
  /** Weight of the job's own label in the λ-mixed loss (1 when not mixed). */
  lambda: number;
  error?: string;
  /** The file (the job's own or its mix partner) that could not be decoded, when that was the error. */
  undecodable?: { path: string; reason: string };
}

function sha(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A 32-bit seed from a string, for per-image random streams. */
export function seedFrom(text: string): number {
  return Number.parseInt(sha(text).slice(0, 8), 16);
}

/** sha256 of each file's bytes; undefined where the file cannot be read. */
export async function fileDigests(paths: readonly string[]): Promise<(string | undefined)[]> {
  const out: (string | undefined)[] = [];
  for (const path of paths) {
    try {
      out.push(
        createHash("sha256")
          .update(await readFile(path))
          .digest("hex"),
      );
    } catch {
      out.push(undefined);
    }
  }
  return out;
}

export interface ImageRef {
  path: string;
  /** sha256 of the file. */
  sha256: string;
}

export function plainJobs(images: readonly ImageRef[]): EmbedJob[] {
  return images.map((img) => ({ path: img.path, sha256: img.sha256, cacheKey: img.sha256 }));
}

/** Augmentation id: names the variant in cache keys and reports. */
export function augmentationId(spec: AugmentSpec, seed: number, copy: number): string {
  return `aug-${sha(JSON.stringify(spec)).slice(0, 8)}-s${seed}-c${copy}`;
}

/** One augmented copy of each image; copy k with seed s is the same image in every run. */
export function augmentJobs(images: readonly ImageRef[], spec: AugmentSpec, seed: number, copy: number): EmbedJob[] {
  const id = augmentationId(spec, seed, copy);
  return images.map((img) => ({
    path: img.path,
    sha256: img.sha256,
    cacheKey: sha(`${img.sha256}|${id}`),
    augment: { spec, seed: seedFrom(`${img.sha256}|${id}`) },
  }));
}

/**
 * One mixed copy of each image: partner drawn uniformly (seeded), both optionally augmented, then
 * mixed in pixel space. Returns the partner index of each job for the λ-mixed loss.
 */
export function mixJobs(
  images: readonly ImageRef[],
  mode: Exclude<MixMode, "none">,
  alpha: number,
  augment: AugmentSpec | undefined,
  seed: number,
  copy: number,
): { jobs: EmbedJob[]; partners: number[] } {
  const rng = new Rng(seed).fork(`mix-${mode}-${copy}`);
  const partners = images.map(() => rng.int(images.length));
  const augId = augment ? augmentationId(augment, seed, copy) : "plain";
  const jobs = images.map((img, i) => {
    const partner = images[partners[i] as number] as ImageRef;
    const key = `${img.sha256}|${partner.sha256}|${mode}|${alpha}|${augId}|s${seed}|c${copy}`;
    const job: EmbedJob = {
      path: img.path,
      sha256: img.sha256,
      cacheKey: sha(key),
      mix: { partnerPath: partner.path, partnerSha256: partner.sha256, mode, alpha, seed: seedFrom(key) },
    };
    if (augment && job.mix) {
      job.augment = { spec: augment, seed: seedFrom(`${img.sha256}|${augId}`) };
      job.mix.partnerAugment = { spec: augment, seed: seedFrom(`${partner.sha256}|${augId}|partner`) };
    }
    return job;
  });
  return { jobs, partners };
}
