/** Sends queued feedback to the API in batches, retrying with exponential backoff while it fails. */
import { feedbackCounts, pendingFeedback, settleFeedback } from "./queue.js";

const BATCH_LIMIT = 100;
const BASE_DELAY_MS = 1000;
const MAX_DELAY_MS = 60_000;

/** Delay before retry number `failures` (1-based): doubling from 1 s up to 60 s, with jitter in [0.5, 1]. */
export function retryDelay(failures: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, failures - 1));
  return ceiling * (0.5 + random() / 2);
}

interface BatchAnswer {
  results: { id: string; status: "created" | "duplicate" | "invalid"; error?: string }[];
}

/** Sends one batch; returns how many records it settled. Throws when the network or the server fails. */
async function sendBatch(apiBase: string): Promise<number> {
  const batch = await pendingFeedback(BATCH_LIMIT);
  if (batch.length === 0) return 0;
  const response = await fetch(`${apiBase}/v1/feedback/batch`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ records: batch.map((item) => item.record) }),
  });
  if (!response.ok) throw new Error(`the feedback server answered ${response.status}`);
  const answer = (await response.json()) as BatchAnswer;
  await settleFeedback(answer.results);
  return answer.results.length;
}

export interface SyncState {
  pending: number;
  rejected: number;
  lastError?: string;
}

export class FeedbackSync {
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private rerun = false;

  constructor(
    private readonly apiBase: string,
    private readonly onState: (state: SyncState) => void,
  ) {}

  start(): void {
    addEventListener("online", () => this.trigger());
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
    let lastError: string | undefined;
    try {
      while ((await sendBatch(this.apiBase)) > 0) this.failures = 0;
      this.failures = 0;
    } catch (error) {
      this.failures++;
      lastError = (error as Error).message;
      this.timer = setTimeout(() => this.trigger(), retryDelay(this.failures));
    } finally {
      this.running = false;
    }
    try {
      this.onState({ ...(await feedbackCounts()), lastError });
    } catch {
      // The queue cannot be read now; the counts shown stay as they were until the next run.
    }
    if (this.rerun) {
      this.rerun = false;
      this.trigger();
    }
  }
}
