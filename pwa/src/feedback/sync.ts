/**
 * Sends queued feedback to the API in batches, retrying with exponential backoff while it fails, and
 * sends records waiting for their model again when they fall due (lifecycle.ts).
 */
import type { FeedbackBatchResult } from "@pifu/core";
import type { QueuedFeedback } from "../db.js";
import { fetchJson } from "../net.js";
import { type FeedbackCounts, feedbackCounts, type QueueState, readQueue, settleFeedback } from "./queue.js";

/** The most records one request carries. */
export const BATCH_LIMIT = 100;
const BASE_DELAY_MS = 1000;
const MAX_DELAY_MS = 60_000;
/** A batch not answered within this counts as failed, so one hung request cannot stop the sync. */
export const SEND_TIMEOUT_MS = 30_000;

/** Delay before retry number `failures` (1-based): doubling from 1 s up to 60 s, with jitter in [0.5, 1]. */
export function retryDelay(failures: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, failures - 1));
  return ceiling * (0.5 + random() / 2);
}

/**
 * Sends `batch`, records read from the queue at `now`, in one request and records the API's answer;
 * returns how many records it settled. Throws when the network or the server fails, or no answer
 * comes within `timeoutMs`: the queue is then left as it was.
 */
export async function sendBatch(
  apiBase: string,
  batch: readonly QueuedFeedback[],
  now: number,
  timeoutMs = SEND_TIMEOUT_MS,
): Promise<number> {
  if (batch.length === 0) return 0;
  const answer = (await fetchJson(`${apiBase}/v1/feedback/batch`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ records: batch.map((item) => item.record) }),
    timeoutMs,
  })) as { results: FeedbackBatchResult[] };
  return settleFeedback(batch, answer.results, now);
}

export interface SyncState extends FeedbackCounts {
  /** Why the last try to send failed (the error itself, for the UI to word); absent once a try succeeds. */
  lastError?: unknown;
  /** When the next try after that failure is due (epoch ms). */
  retryAt?: number;
}

export class FeedbackSync {
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private rerun = false;
  /**
   * When the current round began: the app's start, or when it saw a new model published. Waiting
   * records not sent since then are due (lifecycle.ts).
   */
  private roundStartedAt = Date.now();

  constructor(
    private readonly apiBase: string,
    private readonly onState: (state: SyncState) => void,
    private readonly timeoutMs = SEND_TIMEOUT_MS,
  ) {}

  start(): void {
    addEventListener("online", () => this.trigger());
    this.trigger();
  }

  /** Sends the records waiting for their model now, as at a start: a new model was just published, maybe theirs too. */
  retryWaiting(): void {
    this.roundStartedAt = Date.now();
    this.trigger();
  }

  /** Syncs now (or right after the sync in flight). */
  trigger(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    void this.run();
  }

  private async run(): Promise<void> {
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.running = true;
    let failure: Pick<SyncState, "lastError" | "retryAt"> = {};
    /** The queue as last read, while nothing was sent since: one read gives the batch, the counts and the next retry. */
    let queue: QueueState | undefined;
    try {
      for (;;) {
        const now = Date.now();
        queue = await readQueue(BATCH_LIMIT, now, this.roundStartedAt);
        const batch = queue.due;
        if (batch.length === 0) break;
        // Sending changes the queue: what is left is read again.
        queue = undefined;
        const settled = await sendBatch(this.apiBase, batch, now, this.timeoutMs);
        this.failures = 0;
        // An answer that settled none is not sent again in a loop.
        if (settled === 0) break;
      }
      this.failures = 0;
      queue ??= await readQueue(BATCH_LIMIT, Date.now(), this.roundStartedAt);
      const { retryAt } = queue;
      if (retryAt !== undefined) this.timer = setTimeout(() => this.trigger(), Math.max(0, retryAt - Date.now()));
    } catch (error) {
      this.failures++;
      const delay = retryDelay(this.failures);
      failure = { lastError: error, retryAt: Date.now() + delay };
      this.timer = setTimeout(() => this.trigger(), delay);
    } finally {
      this.running = false;
    }
    try {
      // After a failure the queue is read again for the counts: it may have changed since the last read.
      this.onState({ ...(queue?.counts ?? (await feedbackCounts())), ...failure });
    } catch {
      // The queue cannot be read now; the counts shown stay as they were until the next run.
    }
    if (this.rerun) {
      this.rerun = false;
      this.trigger();
    }
  }
}
