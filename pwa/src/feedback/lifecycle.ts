/**
 * A queued record's life: which records a sync sends, and what the API's answer makes of each.
 * A record refused as `unknown_model` names a version the API has not published (yet: a sideloaded
 * model, or one published after the record was made), so it waits and is sent again, not thrown away.
 */
import { type FeedbackBatchResult, unpublishedModelMessage } from "@pifu/core";
import type { QueuedFeedback } from "../db.js";

const HOUR_MS = 60 * 60 * 1000;
export const MODEL_RETRY_HOURS = 6;
export const MODEL_WAIT_DAYS = 30;
/**
 * A waiting record is sent again at each app start and when the app installs a newly published model,
 * and at most this often otherwise while the app stays open.
 */
export const MODEL_RETRY_MS = MODEL_RETRY_HOURS * HOUR_MS;
/** A waiting record is given up when it is refused again this long after it was first refused. */
export const MODEL_WAIT_MS = MODEL_WAIT_DAYS * 24 * HOUR_MS;

/**
 * Whether a sync at `now` sends `item`, in a round that began at `startedAt` (the app's start, or when
 * it saw a new model published): a waiting record goes once a round, and at most every 6 hours within one.
 */
export function isDue(item: QueuedFeedback, now: number, startedAt: number): boolean {
  if (item.status === "pending") return true;
  if (item.status === "rejected") return false;
  const triedAt = item.triedAt ?? 0;
  // A clock set back (triedAt in the future) must not hold the record until it catches up.
  return triedAt < startedAt || triedAt > now || now - triedAt >= MODEL_RETRY_MS;
}

/** The record after the API's answer at `now`; undefined when the API has it and it leaves the queue. */
export function afterAnswer(
  item: QueuedFeedback,
  answer: FeedbackBatchResult,
  now: number,
): QueuedFeedback | undefined {
  if (answer.status !== "invalid") return undefined;
  const { record } = item;
  const attempts = item.attempts + 1;
  const error = answer.error ?? "the server refused it";
  if (answer.code !== "unknown_model") return { record, status: "rejected", attempts, error };
  const waitingSince = item.waitingSince ?? now;
  if (now - waitingSince >= MODEL_WAIT_MS) {
    const gaveUp = `${error}, still ${MODEL_WAIT_DAYS} days after it was first refused; no longer sent`;
    return { record, status: "rejected", attempts, error: gaveUp, waitingSince };
  }
  return { record, status: "waiting", attempts, error, waitingSince, triedAt: now };
}

/** When the first waiting record falls due again; undefined when none waits. */
export function nextRetryAt(items: QueuedFeedback[]): number | undefined {
  const due = items.flatMap((item) => (item.status === "waiting" ? [(item.triedAt ?? 0) + MODEL_RETRY_MS] : []));
  return due.length > 0 ? Math.min(...due) : undefined;
}

/**
 * Version 1 of the queue set records refused as `unknown_model` aside as rejected, with only the
 * API's message to tell them apart; those wait for their model now, as if first refused at `now`.
 */
export function requeuedFromV1(item: QueuedFeedback, now: number): QueuedFeedback | undefined {
  if (item.status !== "rejected" || item.error !== unpublishedModelMessage(item.record.modelVersion)) return undefined;
  return { ...item, status: "waiting", waitingSince: now, triedAt: 0 };
}
