/** The feedback queue in IndexedDB: records wait here, across reloads and restarts, until the API has them. */
import { type FeedbackBatchResult, type FeedbackRecord, FeedbackRecordSchema } from "@pifu/core";
import { db, type QueuedFeedback } from "../db.js";
import { afterAnswer, isDue, nextRetryAt } from "./lifecycle.js";

export type FeedbackCounts = Record<QueuedFeedback["status"], number>;

/**
 * Validates and queues a record; its client-made id makes resending it harmless. Saved again while it
 * waits for its model, it keeps the day it was first refused, so the wait stays bounded.
 */
export async function enqueueFeedback(record: FeedbackRecord): Promise<void> {
  const valid = FeedbackRecordSchema.parse(record);
  const transaction = (await db()).transaction("feedback", "readwrite");
  const waitingSince = (await transaction.store.get(valid.id))?.waitingSince;
  const queued: QueuedFeedback = { record: valid, status: "pending", attempts: 0 };
  await transaction.store.put(waitingSince === undefined ? queued : { ...queued, waitingSince });
  await transaction.done;
}

/** What one sync step needs of the queue, from a single read of it. */
export interface QueueState {
  /** Up to `limit` records a sync at `now` sends, in a round that began at `startedAt` (lifecycle.ts `isDue`). */
  due: QueuedFeedback[];
  counts: FeedbackCounts;
  /** When a waiting record falls due again; undefined when none waits. */
  retryAt: number | undefined;
}

/** Reads the queue once: the records due, the counts and the next retry (see QueueState). */
export async function readQueue(limit: number, now: number, startedAt: number): Promise<QueueState> {
  const all = await (await db()).getAll("feedback");
  return {
    due: all.filter((item) => isDue(item, now, startedAt)).slice(0, limit),
    counts: countsOf(all),
    retryAt: nextRetryAt(all),
  };
}

function countsOf(items: readonly QueuedFeedback[]): FeedbackCounts {
  const counts: FeedbackCounts = { pending: 0, waiting: 0, rejected: 0 };
  for (const item of items) counts[item.status]++;
  return counts;
}

export async function feedbackCounts(): Promise<FeedbackCounts> {
  return countsOf(await (await db()).getAll("feedback"));
}

/**
 * Records the API's answer at `now` for each record of `sent` (matched by the answer's index, as the
 * API's own id may be missing): accepted ones leave the queue, refused ones wait or are set aside.
 * Returns how many records it settled, so a sync never resends a batch whose answer settled none.
 */
export async function settleFeedback(
  sent: readonly QueuedFeedback[],
  results: readonly FeedbackBatchResult[],
  now: number,
): Promise<number> {
  const transaction = (await db()).transaction("feedback", "readwrite");
  let settled = 0;
  for (const result of results) {
    const id = sent[result.index]?.record.id;
    const item = id === undefined ? undefined : await transaction.store.get(id);
    if (id === undefined || !item) continue;
    const next = afterAnswer(item, result, now);
    if (next) await transaction.store.put(next);
    else await transaction.store.delete(id);
    settled++;
  }
  await transaction.done;
  return settled;
}
