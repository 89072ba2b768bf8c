/** A small pool of embedding workers; batches go to whichever worker is free. */
import { Worker } from "node:worker_threads";
import type { BackboneSpec } from "../backbones/index.js";
import type { BackendName } from "../backend/index.js";
import type { EmbedJob, EmbedResult } from "./jobs.js";
import type { WorkerReply, WorkerRequest } from "./worker.js";

const QUEUE_DEPTH = 2;

export class EmbedPool {
  private constructor(
    private readonly workers: Worker[],
    readonly featureDim: number,
    readonly backend: string,
  ) {}

  static async start(spec: BackboneSpec, backend: BackendName, size: number): Promise<EmbedPool> {
    const entry = new URL("./worker-entry.mjs", import.meta.url);
    const started = await Promise.all(
      Array.from({ length: size }, async () => {
        const worker = new Worker(entry, { workerData: { spec, backend } });
        const ready = await new Promise<Extract<WorkerReply, { type: "ready" }>>((resolve, reject) => {
          worker.once("message", (msg: WorkerReply) =>
            msg.type === "ready"
              ? resolve(msg)
              : reject(new Error(`embedding worker failed: ${"message" in msg ? msg.message : msg.type}`)),
          );
          worker.once("error", reject);
        });
        return { worker, ready };
      }),
    );
    const first = started[0]?.ready;
    if (!first) throw new Error("an embedding pool needs at least one worker");
    return new EmbedPool(
      started.map((s) => s.worker),
      first.featureDim,
      first.backend,
    );
  }

  /**
   * Runs all batches; `onBatch` sees each finished batch (in completion order) with its index. Each
   * worker holds up to QUEUE_DEPTH batches, so it can decode the next while embedding the current.
   */
  async run(
    batches: EmbedJob[][],
    onBatch: (batchIndex: number, results: EmbedResult[]) => Promise<void>,
  ): Promise<void> {
    let next = 0;
    const drive = (worker: Worker) =>
      new Promise<void>((resolve, reject) => {
        let outstanding = 0;
        let recording = 0;
        let stopped = false;
        const stop = (error?: Error) => {
          if (stopped) return;
          stopped = true;
          worker.off("message", onMessage);
          worker.off("error", stop);
          if (error) reject(error);
          else resolve();
        };
        const fill = () => {
          while (!stopped && outstanding < QUEUE_DEPTH && next < batches.length) {
            const id = next++;
            outstanding++;
            worker.postMessage({ type: "jobs", id, jobs: batches[id] as EmbedJob[] } satisfies WorkerRequest);
          }
          if (outstanding === 0 && recording === 0) stop();
        };
        const onMessage = (msg: WorkerReply) => {
          if (msg.type !== "done") {
            stop(new Error(msg.type === "fatal" ? msg.message : `unexpected worker reply ${msg.type}`));
            return;
          }
          outstanding--;
          recording++;
          fill();
          onBatch(msg.id, msg.results).then(
            () => {
              recording--;
              fill();
            },
            (error: Error) => stop(error),
          );
        };
        worker.on("message", onMessage);
        worker.on("error", stop);
        fill();
      });
    await Promise.all(this.workers.map(drive));
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
