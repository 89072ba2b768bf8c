import type { FeedbackBatchResult } from "@pifu/core";
import { exampleFeedback } from "@pifu/core/testing";
import { describe, expect, it } from "vitest";
import type { QueuedFeedback } from "../db.js";
import { afterAnswer, isDue, MODEL_RETRY_MS, MODEL_WAIT_MS, nextRetryAt, requeuedFromV1 } from "./lifecycle.js";

const T0 = Date.UTC(2026, 10, 25, 9);
const HOUR = 60 * 60 * 1000;
const pending = (): QueuedFeedback => ({
  record: exampleFeedback({ modelVersion: "7.0.0" }),
  status: "pending",
  attempts: 0,
});
const refused = (code: FeedbackBatchResult["code"], error = "refused"): FeedbackBatchResult => ({
  index: 0,
  id: null,
  status: "invalid",
  code,
  error,
});
const unpublished = refused("unknown_model", "model 7.0.0 is not published");

describe("afterAnswer", () => {
  it("drops records the API has, created or duplicate", () => {
    for (const status of ["created", "duplicate"] as const) {
      expect(afterAnswer(pending(), { index: 0, id: null, status }, T0)).toBeUndefined();
    }
  });

  it("keeps a record for an unpublished model waiting, from its first refusal on", () => {
    const first = afterAnswer(pending(), unpublished, T0);
    expect(first).toMatchObject({ status: "waiting", attempts: 1, waitingSince: T0, triedAt: T0 });
    expect(first?.error).toBe("model 7.0.0 is not published");
    const again = afterAnswer(first!, unpublished, T0 + 7 * HOUR);
    expect(again).toMatchObject({ status: "waiting", attempts: 2, waitingSince: T0, triedAt: T0 + 7 * HOUR });
  });

  it("gives a waiting record up when it is refused again 30 days after its first refusal", () => {
    const waiting = afterAnswer(pending(), unpublished, T0)!;
    expect(afterAnswer(waiting, unpublished, T0 + MODEL_WAIT_MS - 1)?.status).toBe("waiting");
    const givenUp = afterAnswer(waiting, unpublished, T0 + MODEL_WAIT_MS);
    expect(givenUp).toMatchObject({ status: "rejected", waitingSince: T0 });
    expect(givenUp?.error).toBe(
      "model 7.0.0 is not published, still 30 days after it was first refused; no longer sent",
    );
    expect(givenUp).not.toHaveProperty("triedAt");
  });

  it("sets every other refusal aside for good, also one without a code from an older API", () => {
    for (const code of ["invalid_record", "unknown_label", undefined] as const) {
      expect(afterAnswer(pending(), refused(code, "bad label"), T0)).toMatchObject({
        status: "rejected",
        attempts: 1,
        error: "bad label",
      });
    }
    // A waiting record whose model is published with other classes is not waiting any more.
    const waiting = afterAnswer(pending(), unpublished, T0)!;
    expect(afterAnswer(waiting, refused("unknown_label"), T0 + 7 * HOUR)?.status).toBe("rejected");
  });
});

describe("isDue", () => {
  const waiting = afterAnswer(pending(), unpublished, T0)!;
  const startedAt = T0 - HOUR;

  it("sends pending records always and rejected ones never", () => {
    expect(isDue(pending(), T0, startedAt)).toBe(true);
    expect(isDue(afterAnswer(pending(), refused("invalid_record"), T0)!, T0 + 1000 * HOUR, startedAt)).toBe(false);
  });

  it("sends a waiting record again after 6 hours, not before", () => {
    expect(isDue(waiting, T0, startedAt)).toBe(false);
    expect(isDue(waiting, T0 + MODEL_RETRY_MS - 1, startedAt)).toBe(false);
    expect(isDue(waiting, T0 + MODEL_RETRY_MS, startedAt)).toBe(true);
  });

  it("sends a waiting record once at each app start, and when the clock was set back", () => {
    expect(isDue(waiting, T0 + HOUR, T0 + HOUR / 2)).toBe(true);
    expect(isDue(waiting, T0 - 2 * HOUR, startedAt - 2 * HOUR)).toBe(true);
  });
});

describe("nextRetryAt", () => {
  it("is when the earliest waiting record falls due, and undefined when none waits", () => {
    const early = afterAnswer(pending(), unpublished, T0)!;
    const late = afterAnswer(pending(), unpublished, T0 + HOUR)!;
    expect(nextRetryAt([pending(), late, early])).toBe(T0 + MODEL_RETRY_MS);
    expect(nextRetryAt([pending(), afterAnswer(pending(), refused("unknown_label"), T0)!])).toBeUndefined();
  });
});

describe("requeuedFromV1", () => {
  it("puts records version 1 rejected for an unpublished model back to wait, and only those", () => {
    const v1 = (error: string): QueuedFeedback => ({ ...pending(), status: "rejected", attempts: 1, error });
    expect(requeuedFromV1(v1("model 7.0.0 is not published"), T0)).toMatchObject({
      status: "waiting",
      waitingSince: T0,
      triedAt: 0,
    });
    expect(requeuedFromV1(v1('confirmedLabel "x" is unknown'), T0)).toBeUndefined();
    expect(requeuedFromV1(v1("model 8.0.0 is not published"), T0)).toBeUndefined();
    expect(requeuedFromV1(pending(), T0)).toBeUndefined();
  });
});
