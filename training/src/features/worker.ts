/** worker_threads entry: one backend and one backbone per worker, fed batches of jobs. */
import { parentPort, workerData } from "node:worker_threads";
import sharp from "sharp";
import { type Backbone, type BackboneSpec, loadBackbone } from "../backbones/index.js";
import { type BackendName, initBackend } from "../backend/index.js";
import { DecodeAhead } from "./decode-ahead.js";
import { embedJobsHere, prepareBatch } from "./embedder.js";
import type { EmbedJob, EmbedResult } from "./jobs.js";

export type WorkerRequest = { type: "jobs"; id: number; jobs: EmbedJob[] };
export type WorkerReply =
  | { type: "ready"; backend: string; featureDim: number }
  | { type: "done"; id: number; results: EmbedResult[] }
  | { type: "fatal"; message: string };

const port = parentPort;
if (!port) throw new Error("features/worker.ts must run in a worker thread");
const { spec, backend } = workerData as { spec: BackboneSpec; backend: BackendName };
// One libvips thread per decode and no operation cache: the pool already runs one worker per core,
// extra decode threads only fight the wasm inference for the same cores, and no file is decoded twice.
sharp.concurrency(1);
sharp.cache(false);

let backbone: Backbone;
try {
  const choice = await initBackend(backend);
  backbone = await loadBackbone(spec);
  port.postMessage({ type: "ready", backend: choice.active, featureDim: backbone.featureDim } satisfies WorkerReply);
} catch (error) {
  port.postMessage({ type: "fatal", message: (error as Error).message } satisfies WorkerReply);
  process.exit(1);
}

// The pool keeps two batches queued here: the next one decodes (in sharp's threads) while this one embeds.
const decoder = new DecodeAhead(8);
let previous: Promise<void> = Promise.resolve();
port.on("message", (request: WorkerRequest) => {
  const prepared = prepareBatch(request.jobs, backbone, decoder);
  previous = previous.then(async () => {
    try {
      const results = await embedJobsHere(request.jobs, backbone, prepared);
      const transfer = results.flatMap((r) => (r.features ? [r.features.buffer as ArrayBuffer] : []));
      port.postMessage({ type: "done", id: request.id, results } satisfies WorkerReply, transfer);
    } catch (error) {
      port.postMessage({ type: "fatal", message: (error as Error).message } satisfies WorkerReply);
    }
  });
});
