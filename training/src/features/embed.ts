/**
 * Embeds jobs with a backbone: cache hits are read from disk, misses are embedded by a pool of
 * worker threads (each with its own backend) or in this thread when workers = 0.
 */
import { availableParallelism } from "node:os";
import { type Backbone, type BackboneSpec, loadBackbone, readModelArtifacts } from "../backbones/index.js";
import { type BackendName, initBackend } from "../backend/index.js";
import { backboneCacheKey, DEFAULT_CACHE_DIR, DecodeFailureCache, FeatureCache } from "./cache.js";
import { readDim, writeDim } from "./dim.js";
import { embedJobsHere } from "./embedder.js";
import type { EmbedJob, EmbedResult } from "./jobs.js";
import { EmbedPool } from "./pool.js";

export interface EmbedOptions {
  backend?: BackendName;
  /** Worker threads; 0 embeds in this thread (tests, tiny sets). Default: min(2, cores). */
  workers?: number;
  /** Cache folder; false disables the cache. */
  cacheDir?: string | false;
  batchSize?: number;
  /** Called after each batch with (done, total, cached). */
  onProgress?: (done: number, total: number, cached: number) => void;
}

export interface EmbedOutput {
  /** Row-major [jobs, dim]; rows of failed jobs are zeros. */
  features: Float32Array;
  dim: number;
  lambdas: Float32Array;
  /** Jobs whose image could not be decoded. */
  failed: { index: number; path: string; reason: string }[];
  /** Jobs whose features came from the cache. */
  cached: number;
  /** Failed jobs not retried because the cache remembers their file as undecodable. */
  rememberedFailures: number;
  backboneSha256: string;
  seconds: number;
}

/** sha256 of a backbone without building it, for cache keys and run records. */
export async function backboneSha256(spec: BackboneSpec): Promise<string> {
  return (await readModelArtifacts(spec.location)).sha256;
}

export function defaultWorkers(): number {
  return Math.max(1, Math.min(2, availableParallelism()));
}

/** The files a job decodes, with their digests when known. */
function jobFiles(job: EmbedJob): { path: string; sha256: string | undefined }[] {
  const files = [{ path: job.path, sha256: job.sha256 }];
  if (job.mix) files.push({ path: job.mix.partnerPath, sha256: job.mix.partnerSha256 });
  return files;
}

/** The error a job gets without decoding anything, when one of its files is known to be undecodable. */
async function rememberedFailure(failures: DecodeFailureCache, job: EmbedJob): Promise<EmbedResult | undefined> {
  for (const { path, sha256 } of jobFiles(job)) {
    if (!sha256) continue;
    const reason = await failures.get(sha256);
    if (reason !== undefined) return { lambda: 1, error: `${path}: ${reason}`, undecodable: { path, reason } };
  }
  return undefined;
}

async function rememberFailure(
  failures: DecodeFailureCache,
  job: EmbedJob,
  undecodable: NonNullable<EmbedResult["undecodable"]>,
): Promise<void> {
  const file = jobFiles(job).find((f) => f.path === undecodable.path);
  // Stored without the path: the same bytes may sit under another name next time.
  if (file?.sha256) await failures.put(file.sha256, undecodable.reason);
}

export async function embedJobs(
  spec: BackboneSpec,
  jobs: readonly EmbedJob[],
  options: EmbedOptions = {},
): Promise<EmbedOutput> {
  const started = performance.now();
  const batchSize = options.batchSize ?? 16;
  const workers = options.workers ?? defaultWorkers();
  const backend = options.backend ?? "auto";
  const sha = await backboneSha256(spec);
  const key = backboneCacheKey(sha, spec);

  let dim = 0;
  let cache: FeatureCache | undefined;
  const cacheDir = options.cacheDir === undefined ? DEFAULT_CACHE_DIR : options.cacheDir;
  const hits = new Map<number, { features: Float32Array; lambda: number }>();
  if (cacheDir !== false) {
    const known = await readDim(cacheDir, key);
    if (known) {
      dim = known;
      cache = new FeatureCache(cacheDir, key, dim);
      for (const [index, job] of jobs.entries()) {
        const hit = await cache.get(job.cacheKey);
        if (hit) hits.set(index, hit);
      }
    }
  }

  const results = new Map<number, EmbedResult>();
  const failures = cacheDir === false ? undefined : new DecodeFailureCache(cacheDir);
  if (failures) {
    for (const [index, job] of jobs.entries()) {
      if (hits.has(index)) continue;
      const remembered = await rememberedFailure(failures, job);
      if (remembered) results.set(index, remembered);
    }
  }
  const rememberedFailures = results.size;
  const missing = jobs.map((_, i) => i).filter((i) => !hits.has(i) && !results.has(i));
  let done = hits.size + rememberedFailures;
  options.onProgress?.(done, jobs.length, hits.size);
  if (missing.length > 0) {
    const batches: number[][] = [];
    for (let i = 0; i < missing.length; i += batchSize) batches.push(missing.slice(i, i + batchSize));
    const record = async (batchIndex: number, batchResults: EmbedResult[]) => {
      for (const [j, result] of batchResults.entries()) {
        const index = (batches[batchIndex] as number[])[j] as number;
        const job = jobs[index] as EmbedJob;
        results.set(index, result);
        if (result.features && cache) await cache.put(job.cacheKey, result.features, result.lambda);
        if (result.undecodable && failures) await rememberFailure(failures, job, result.undecodable);
      }
      done += batchResults.length;
      options.onProgress?.(done, jobs.length, hits.size);
    };
    if (workers <= 0) {
      await initBackend(backend);
      const backbone: Backbone = await loadBackbone(spec);
      dim = backbone.featureDim;
      if (cacheDir !== false) {
        cache = new FeatureCache(cacheDir, key, dim);
        await writeDim(cacheDir, key, dim);
      }
      for (const [b, batch] of batches.entries()) {
        await record(
          b,
          await embedJobsHere(
            batch.map((i) => jobs[i] as EmbedJob),
            backbone,
          ),
        );
      }
      backbone.extractor.dispose();
    } else {
      const pool = await EmbedPool.start(spec, backend, Math.min(workers, batches.length));
      try {
        dim = pool.featureDim;
        if (cacheDir !== false) {
          cache = new FeatureCache(cacheDir, key, dim);
          await writeDim(cacheDir, key, dim);
        }
        await pool.run(
          batches.map((batch) => batch.map((i) => jobs[i] as EmbedJob)),
          record,
        );
      } finally {
        await pool.close();
      }
    }
  }

  const features = new Float32Array(jobs.length * dim);
  const lambdas = new Float32Array(jobs.length).fill(1);
  const failed: EmbedOutput["failed"] = [];
  for (let i = 0; i < jobs.length; i++) {
    const hit = hits.get(i) ?? results.get(i);
    if (hit?.features) {
      features.set(hit.features, i * dim);
      lambdas[i] = hit.lambda;
    } else {
      failed.push({ index: i, path: (jobs[i] as EmbedJob).path, reason: results.get(i)?.error ?? "not embedded" });
    }
  }
  return {
    features,
    dim,
    lambdas,
    failed,
    cached: hits.size,
    rememberedFailures,
    backboneSha256: sha,
    seconds: (performance.now() - started) / 1000,
  };
}
