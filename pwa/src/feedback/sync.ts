/**
 * Sends queued feedback to the API in batches, retrying with exponential backoff while it fails, and
 * sends records waiting for their model again when they fall due (lifecycle.ts).
 */
import type { FeedbackBatchResult } from "@pifu/core";
import { fetchJson } from "../net.js";
import { dueFeedback, type FeedbackCounts, feedbackCounts, nextFeedbackRetry, settleFeedback } from "./queue.js";

const BATCH_LIMIT = 100;
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
 * Sends one batch of the records due at `now` in a round that began at `startedAt`; returns how many
 * records it settled. Throws when the network or the server fails, or no answer comes within `timeoutMs`.
 */
export async function sendDueFeedback(
  apiBase: string,
  now: number,
  startedAt: number,
  timeoutMs = SEND_TIMEOUT_MS,
): Promise<number> {
  const batch = await dueFeedback(BATCH_LIMIT, now, startedAt);
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
    try {
      while ((await sendDueFeedback(this.apiBase, Date.now(), this.roundStartedAt, this.timeoutMs)) > 0)
        this.failures = 0;
      this.failures = 0;
      const retryAt = await nextFeedbackRetry();
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
      this.onState({ ...(await feedbackCounts()), ...failure });
    } catch {
      // The queue cannot be read now; the counts shown stay as they were until the next run.
    }
    if (this.rerun) {
      this.rerun = false;
      this.trigger();
    }
  }
}
