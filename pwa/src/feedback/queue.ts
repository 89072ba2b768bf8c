/** The feedback queue in IndexedDB: records wait here, across reloads and restarts, until the API has them. */
import { type FeedbackBatchResult, type FeedbackRecord, FeedbackRecordSchema } from "@pifu/core";
import { db, type QueuedFeedback } from "../db.js";
import { afterAnswer, isDue, nextRetryAt } from "./lifecycle.js";

export type FeedbackCounts = Record<QueuedFeedback["status"], number>;

/** Validates and queues a record; its client-made id makes resending it harmless. */
export async function enqueueFeedback(record: FeedbackRecord): Promise<void> {
  const valid = FeedbackRecordSchema.parse(record);
  await (await db()).put("feedback", { record: valid, status: "pending", attempts: 0 });
}

/** Up to `limit` records a sync at `now`, in an app started at `startedAt`, sends (lifecycle.ts). */
export async function dueFeedback(limit: number, now: number, startedAt: number): Promise<QueuedFeedback[]> {
  const all = await (await db()).getAll("feedback");
  return all.filter((item) => isDue(item, now, startedAt)).slice(0, limit);
}

export async function feedbackCounts(): Promise<FeedbackCounts> {
  const counts: FeedbackCounts = { pending: 0, waiting: 0, rejected: 0 };
  for (const item of await (await db()).getAll("feedback")) counts[item.status]++;
  return counts;
}

/** When a waiting record falls due again; undefined when none waits. */
export async function nextFeedbackRetry(): Promise<number | undefined> {
  return nextRetryAt(await (await db()).getAll("feedback"));
}

/** Records the API's answer at `now` for each sent record: accepted ones leave the queue, refused ones wait or are set aside. */
export async function settleFeedback(results: FeedbackBatchResult[], now: number): Promise<void> {
  const transaction = (await db()).transaction("feedback", "readwrite");
  for (const result of results) {
    if (result.id === null) continue;
    const item = await transaction.store.get(result.id);
    if (!item) continue;
    const next = afterAnswer(item, result, now);
    if (next) await transaction.store.put(next);
    else await transaction.store.delete(result.id);
  }
  await transaction.done;
}
