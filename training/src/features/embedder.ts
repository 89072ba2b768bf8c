/** Turns jobs into features inside one thread: decode → augment → preprocess → mix → embed. */
import { preprocess } from "@pifu/core";
import { augmentImage, mixPixels } from "../augment/index.js";
import { type Backbone, embedBatch } from "../backbones/index.js";
import { DecodeError } from "../data/decode.js";
import { Rng } from "../data/rng.js";
import { DecodeAhead } from "./decode-ahead.js";
import type { EmbedJob, EmbedResult } from "./jobs.js";

const sequential = new DecodeAhead(1);

function inputFor(
  path: string,
  augment: EmbedJob["augment"],
  backbone: Backbone,
  decoder: DecodeAhead,
): Promise<Float32Array> {
  return decoder.with(path, (decoded) => {
    const image = augment ? augmentImage(decoded, augment.spec, new Rng(augment.seed)) : decoded;
    return preprocess(image, backbone.spec.preprocess);
  });
}

async function prepare(
  job: EmbedJob,
  backbone: Backbone,
  decoder: DecodeAhead,
): Promise<{ pixels: Float32Array; lambda: number }> {
  const own = await inputFor(job.path, job.augment, backbone, decoder);
  if (!job.mix) return { pixels: own, lambda: 1 };
  const partner = await inputFor(job.mix.partnerPath, job.mix.partnerAugment, backbone, decoder);
  const size = backbone.spec.preprocess.inputSize;
  return mixPixels(own, partner, size, { mode: job.mix.mode, alpha: job.mix.alpha }, new Rng(job.mix.seed));
}

export type PreparedBatch = PromiseSettledResult<{ pixels: Float32Array; lambda: number }>[];

/**
 * Starts decoding and preprocessing a batch; with a shared DecodeAhead, call it for the next batch
 * before embedding the current one so decoding overlaps inference.
 */
export function prepareBatch(
  jobs: readonly EmbedJob[],
  backbone: Backbone,
  decoder: DecodeAhead = sequential,
): Promise<PreparedBatch> {
  return Promise.allSettled(jobs.map((job) => prepare(job, backbone, decoder)));
}

/** Embeds a batch of jobs; a job whose image cannot be decoded gets an error instead of features. */
export async function embedJobsHere(
  jobs: readonly EmbedJob[],
  backbone: Backbone,
  prepared: Promise<PreparedBatch> = prepareBatch(jobs, backbone),
): Promise<EmbedResult[]> {
  const size = backbone.spec.preprocess.inputSize;
  const stride = size * size * 3;
  const results: EmbedResult[] = jobs.map(() => ({ lambda: 1 }));
  const ready: { index: number; pixels: Float32Array }[] = [];
  for (const [index, outcome] of (await prepared).entries()) {
    if (outcome.status === "fulfilled") {
      (results[index] as EmbedResult).lambda = outcome.value.lambda;
      ready.push({ index, pixels: outcome.value.pixels });
    } else {
      const error = outcome.reason as Error;
      results[index] = {
        lambda: 1,
        error: error.message,
        ...(error instanceof DecodeError ? { undecodable: { path: error.path, reason: error.reason } } : {}),
      };
    }
  }
  if (ready.length === 0) return results;
  const batch = new Float32Array(ready.length * stride);
  for (const [i, r] of ready.entries()) batch.set(r.pixels, i * stride);
  const features = embedBatch(backbone, batch, ready.length);
  const dim = backbone.featureDim;
  for (const [i, r] of ready.entries()) {
    (results[r.index] as EmbedResult).features = features.slice(i * dim, (i + 1) * dim);
  }
  return results;
}
