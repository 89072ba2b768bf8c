/** A small pool of embedding workers; batches go to whichever worker is free. */
import { Worker } from "node:worker_threads";
import type { BackboneSpec } from "../backbones/index.js";
import type { BackendName } from "../backend/index.js";
import type { EmbedJob, EmbedResult } from "./jobs.js";
import type { WorkerReply } from "./worker.js";

interface Slot {
  worker: Worker;
  busy: boolean;
}

export class EmbedPool {
  private constructor(
    private readonly slots: Slot[],
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
      started.map((s) => ({ worker: s.worker, busy: false })),
      first.featureDim,
      first.backend,
    );
  }

  /** Runs all batches; `onBatch` sees each finished batch (in completion order) with its index. */
  async run(
    batches: EmbedJob[][],
    onBatch: (batchIndex: number, results: EmbedResult[]) => Promise<void>,
  ): Promise<void> {
    let next = 0;
    const drive = async (slot: Slot): Promise<void> => {
      while (next < batches.length) {
        const id = next++;
        const results = await new Promise<EmbedResult[]>((resolve, reject) => {
          const onMessage = (msg: WorkerReply) => {
            slot.worker.off("error", onError);
            if (msg.type === "done" && msg.id === id) resolve(msg.results);
            else reject(new Error(msg.type === "fatal" ? msg.message : `unexpected worker reply ${msg.type}`));
          };
          const onError = (error: Error) => {
            slot.worker.off("message", onMessage);
            reject(error);
          };
          slot.worker.once("message", onMessage);
          slot.worker.once("error", onError);
          slot.worker.postMessage({ type: "jobs", id, jobs: batches[id] });
        });
        await onBatch(id, results);
      }
    };
    await Promise.all(this.slots.map(drive));
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
