/** Turns jobs into features inside one thread: decode → augment → preprocess → mix → embed. */
import { preprocess } from "@pifu/core";
import { augmentImage, mixPixels } from "../augment/index.js";
import { type Backbone, embedBatch } from "../backbones/index.js";
import { decodeImage } from "../data/decode.js";
import { Rng } from "../data/rng.js";
import type { EmbedJob, EmbedResult } from "./jobs.js";

async function inputFor(path: string, augment: EmbedJob["augment"], backbone: Backbone): Promise<Float32Array> {
  let image = await decodeImage(path);
  if (augment) image = augmentImage(image, augment.spec, new Rng(augment.seed));
  return preprocess(image, backbone.spec.preprocess);
}

async function prepare(job: EmbedJob, backbone: Backbone): Promise<{ pixels: Float32Array; lambda: number }> {
  const own = await inputFor(job.path, job.augment, backbone);
  if (!job.mix) return { pixels: own, lambda: 1 };
  const partner = await inputFor(job.mix.partnerPath, job.mix.partnerAugment, backbone);
  const size = backbone.spec.preprocess.inputSize;
  return mixPixels(own, partner, size, { mode: job.mix.mode, alpha: job.mix.alpha }, new Rng(job.mix.seed));
}

/** Embeds a batch of jobs; a job whose image cannot be decoded gets an error instead of features. */
export async function embedJobsHere(jobs: readonly EmbedJob[], backbone: Backbone): Promise<EmbedResult[]> {
  const size = backbone.spec.preprocess.inputSize;
  const stride = size * size * 3;
  const results: EmbedResult[] = jobs.map(() => ({ lambda: 1 }));
  const ready: { index: number; pixels: Float32Array }[] = [];
  for (const [index, job] of jobs.entries()) {
    try {
      const { pixels, lambda } = await prepare(job, backbone);
      (results[index] as EmbedResult).lambda = lambda;
      ready.push({ index, pixels });
    } catch (error) {
      results[index] = { lambda: 1, error: (error as Error).message };
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
