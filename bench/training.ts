/**
 * `npm run bench -- training [--images 64] [--backbones mobilenet_v2_0.35,darknet_tiny] [--backends wasm,cpu]`:
 * embedding throughput (decode + preprocess + embed, images/s) per backend and backbone with 1 and
 * 2 worker threads, plus fine-tuning throughput (bench/finetune.ts: train steps on backbone tails
 * after late cut points, wasm with the custom gradient kernels). Uses skin8 val images when ../shared is present, else
 * generated 384×288 JPEGs. Prints one JSON object and writes bench/results/training.json.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { resolveBackbone } from "../training/src/backbones/index.js";
import type { BackendName } from "../training/src/backend/index.js";
import { Rng, readDataset } from "../training/src/data/index.js";
import { EmbedPool, fileDigests, plainJobs } from "../training/src/features/index.js";
import { syntheticPixels } from "../training/src/testing/fixtures.js";
import { sharedDir } from "../vitest.shared.js";
import { benchFineTune } from "./finetune.js";

const root = resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    images: { type: "string", default: "64" },
    backbones: { type: "string", default: "mobilenet_v2_0.35,darknet_tiny" },
    backends: { type: "string", default: "wasm,cpu" },
    "finetune-steps": { type: "string", default: "3" },
    "finetune-cuts": { type: "string", default: "block_14_add,block_15_add" },
  },
});
const count = Number(args.images);
const log = (message: string) => console.error(`[bench training] ${message}`);

async function imagePaths(): Promise<{ paths: string[]; source: string; cleanup: () => Promise<void> }> {
  const val = join(sharedDir, "data/skin8/val");
  if (existsSync(val)) {
    const items = (await readDataset(val)).items;
    const step = Math.max(1, Math.floor(items.length / count));
    return {
      paths: items
        .filter((_, i) => i % step === 0)
        .slice(0, count)
        .map((i) => i.path),
      source: "skin8 val",
      cleanup: async () => {},
    };
  }
  const dir = await mkdtemp(join(tmpdir(), "pifu-bench-"));
  const rng = new Rng(1);
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = join(dir, `${i}.jpg`);
    const small = syntheticPixels(i % 4, 96, rng);
    await sharp(Buffer.from(small), { raw: { width: 96, height: 96, channels: 3 } })
      .resize(384, 288)
      .jpeg()
      .toFile(path);
    paths.push(path);
  }
  return { paths, source: "generated 384x288 JPEGs", cleanup: () => rm(dir, { recursive: true, force: true }) };
}

interface EmbedResultRow {
  backbone: string;
  backend: string;
  workers: number;
  images: number;
  imagesPerSecond: number;
  startupSeconds: number;
}

async function benchEmbedding(paths: string[]): Promise<EmbedResultRow[]> {
  const digests = await fileDigests(paths);
  const jobs = plainJobs(paths.map((path, i) => ({ path, sha256: digests[i] as string })));
  const rows: EmbedResultRow[] = [];
  for (const name of args.backbones.split(",")) {
    const spec = resolveBackbone(name).spec;
    if (!spec.location.startsWith("npm:") && !existsSync(spec.location)) {
      log(`skipping ${name}: ${spec.location} is absent`);
      continue;
    }
    for (const backend of args.backends.split(",") as BackendName[]) {
      // The pure-JS cpu backend is 15-30× slower: a few images tell its rate.
      const n = backend === "cpu" ? Math.min(8, jobs.length) : jobs.length;
      for (const workers of [1, 2]) {
        const started = performance.now();
        const pool = await EmbedPool.start(spec, backend, workers);
        const startupSeconds = (performance.now() - started) / 1000;
        const batches: (typeof jobs)[] = [];
        for (let i = 0; i < n; i += 16) batches.push(jobs.slice(i, Math.min(n, i + 16)));
        // Warm-up batch per worker, not timed.
        await pool.run(batches.slice(0, workers), async () => {});
        const t0 = performance.now();
        await pool.run(batches, async () => {});
        const seconds = (performance.now() - t0) / 1000;
        await pool.close();
        const row = {
          backbone: name,
          backend: pool.backend,
          workers,
          images: n,
          imagesPerSecond: n / seconds,
          startupSeconds,
        };
        log(`${name} ${row.backend} ×${workers}: ${row.imagesPerSecond.toFixed(1)} img/s`);
        rows.push(row);
      }
    }
  }
  return rows;
}

async function benchFineTuning(): Promise<unknown> {
  const backbone = resolveBackbone("mobilenet_v2_0.35").spec.location;
  if (!existsSync(backbone)) return { skipped: `${backbone} is absent` };
  // The kernels' own benchmark (bench/finetune.ts): tails after two late cuts, no whole-network row.
  return benchFineTune({
    backbone,
    cuts: args["finetune-cuts"].split(","),
    whole: false,
    steps: Number(args["finetune-steps"]),
    log,
  });
}

const { paths, source, cleanup } = await imagePaths();
log(`${paths.length} images from ${source}; load average ${loadavg()[0]?.toFixed(1)}`);
const embedding = await benchEmbedding(paths);
const fineTuning = await benchFineTuning();
await cleanup();
const result = {
  part: "training",
  date: new Date().toISOString(),
  machine: { cpus: availableParallelism(), model: cpus()[0]?.model, loadAverage1m: loadavg()[0] },
  images: source,
  embedding,
  fineTuning,
  target: { embeddingImagesPerSecond: 55, backbone: "mobilenet_v2_0.35", workers: 2 },
};
await mkdir(join(root, "bench/results"), { recursive: true });
await writeFile(join(root, "bench/results/training.json"), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result));
