/** The feedback queue in IndexedDB: records wait here, across reloads and restarts, until the API has them. */
import { type FeedbackBatchResult, type FeedbackRecord, FeedbackRecordSchema } from "@pifu/core";
import { db, type QueuedFeedback } from "../db.js";
import { afterAnswer, isDue, nextRetryAt } from "./lifecycle.js";

export type FeedbackCounts = Record<QueuedFeedback["status"], number>;

/**
 * Validates and queues a record; its client-made id makes resending it harmless. Saved again while it
 * waits for its model, it keeps the day it was first refused, so the wait stays bounded.
 *
 * `queuedBefore` says an earlier save queued this id. If that record has left the queue since, the
 * API has it and would answer a resend as a duplicate, dropping the change: the record is queued under
 * a fresh id that `replaces` the sent one, and `earlierSent` says so. Returns the record as queued.
 */
export async function enqueueFeedback(
  record: FeedbackRecord,
  queuedBefore = false,
): Promise<{ record: FeedbackRecord; earlierSent: boolean }> {
  const transaction = (await db()).transaction("feedback", "readwrite");
  const earlier = await transaction.store.get(record.id);
  const earlierSent = queuedBefore && !earlier;
  // A record saved again before it is sent keeps what it replaces.
  const replaces = earlierSent ? record.id : earlier?.record.replaces;
  const valid = FeedbackRecordSchema.parse({
    ...record,
    ...(earlierSent && { id: crypto.randomUUID() }),
    ...(replaces && { replaces }),
  });
  const waitingSince = earlier?.waitingSince;
  const queued: QueuedFeedback = { record: valid, status: "pending", attempts: 0 };
  await transaction.store.put(waitingSince === undefined ? queued : { ...queued, waitingSince });
  await transaction.done;
  return { record: valid, earlierSent };
}

/** Up to `limit` records a sync at `now` sends, in a round that began at `startedAt` (lifecycle.ts `isDue`). */
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
    const record = sent[result.index]?.record;
    const id = record?.id;
    const item = id === undefined ? undefined : await transaction.store.get(id);
    if (id === undefined || !item) continue;
    if (JSON.stringify(item.record) !== JSON.stringify(record)) {
      // Saved again while this batch was on its way: the answer is for the earlier save. If the API
      // took that one, it would drop this one's resend as a duplicate, so this one takes a fresh id.
      if (result.status !== "invalid") {
        await transaction.store.delete(id);
        await transaction.store.put({ ...item, record: { ...item.record, id: crypto.randomUUID(), replaces: id } });
      }
      settled++;
      continue;
    }
    const next = afterAnswer(item, result, now);
    if (next) await transaction.store.put(next);
    else await transaction.store.delete(id);
    settled++;
  }
  await transaction.done;
  return settled;
}
