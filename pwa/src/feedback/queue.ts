/** The feedback queue in IndexedDB: records wait here, across reloads and restarts, until the API has them. */
import { type FeedbackRecord, FeedbackRecordSchema } from "@pifu/core";
import { db, type QueuedFeedback } from "../db.js";

/** Validates and queues a record; its client-made id makes resending it harmless. */
export async function enqueueFeedback(record: FeedbackRecord): Promise<void> {
  const valid = FeedbackRecordSchema.parse(record);
  await (await db()).put("feedback", { record: valid, status: "pending", attempts: 0 });
}

export async function pendingFeedback(limit: number): Promise<QueuedFeedback[]> {
  const all = await (await db()).getAll("feedback");
  return all.filter((item) => item.status === "pending").slice(0, limit);
}

export async function feedbackCounts(): Promise<{ pending: number; rejected: number }> {
  const all = await (await db()).getAll("feedback");
  const rejected = all.filter((item) => item.status === "rejected").length;
  return { pending: all.length - rejected, rejected };
}

/** Records the API's answer for each sent record: accepted ones leave the queue, invalid ones are set aside. */
export async function settleFeedback(results: { id: string; status: string; error?: string }[]): Promise<void> {
  const transaction = (await db()).transaction("feedback", "readwrite");
  for (const result of results) {
    if (result.status === "created" || result.status === "duplicate") {
      await transaction.store.delete(result.id);
    } else {
      const item = await transaction.store.get(result.id);
      if (item) {
        await transaction.store.put({ ...item, status: "rejected", attempts: item.attempts + 1, error: result.error });
      }
    }
  }
  await transaction.done;
}
