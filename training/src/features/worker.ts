/** worker_threads entry: one backend and one backbone per worker, fed batches of jobs. */
import { parentPort, workerData } from "node:worker_threads";
import { type Backbone, type BackboneSpec, loadBackbone } from "../backbones/index.js";
import { type BackendName, initBackend } from "../backend/index.js";
import { embedJobsHere } from "./embedder.js";
import type { EmbedJob } from "./jobs.js";

export type WorkerRequest = { type: "jobs"; id: number; jobs: EmbedJob[] };
export type WorkerReply =
  | { type: "ready"; backend: string; featureDim: number }
  | { type: "done"; id: number; results: { features?: Float32Array; lambda: number; error?: string }[] }
  | { type: "fatal"; message: string };

const port = parentPort;
if (!port) throw new Error("features/worker.ts must run in a worker thread");
const { spec, backend } = workerData as { spec: BackboneSpec; backend: BackendName };

let backbone: Backbone;
try {
  const choice = await initBackend(backend);
  backbone = await loadBackbone(spec);
  port.postMessage({ type: "ready", backend: choice.active, featureDim: backbone.featureDim } satisfies WorkerReply);
} catch (error) {
  port.postMessage({ type: "fatal", message: (error as Error).message } satisfies WorkerReply);
  process.exit(1);
}

port.on("message", async (request: WorkerRequest) => {
  try {
    const results = await embedJobsHere(request.jobs, backbone);
    const transfer = results.flatMap((r) => (r.features ? [r.features.buffer as ArrayBuffer] : []));
    port.postMessage({ type: "done", id: request.id, results } satisfies WorkerReply, transfer);
  } catch (error) {
    port.postMessage({ type: "fatal", message: (error as Error).message } satisfies WorkerReply);
  }
});
