import { FeedbackRecordSchema, interpretLogits } from "@pifu/core";
import { exampleCard } from "@pifu/core/testing";
import { describe, expect, it } from "vitest";
import type { CheckResult } from "../check.js";
import { feedbackRecord } from "./record.js";

async function exampleCheck(): Promise<CheckResult> {
  const card = await exampleCard({ "model.json": new Uint8Array([1]) });
  return {
    id: crypto.randomUUID(),
    feedbackId: crypto.randomUUID(),
    createdAt: Date.now(),
    card,
    thumbnail: new Blob([]),
    input: new Float32Array(3),
    interpretation: interpretLogits([3, 1, 0, 2, 0, 0, 0, 0], card.calibration, card.unsure),
    qualityProblems: [],
  };
}

describe("feedbackRecord", () => {
  it("gives every save for one check the same id, so a resend replaces the queued record", async () => {
    const check = await exampleCheck();
    const first = feedbackRecord(check, { confirmedLabel: "eczema", confirmedBy: "doctor" }, "en", "2026-11-25");
    const again = feedbackRecord(
      check,
      { confirmedLabel: "psoriasis", confirmedBy: "doctor", bodySite: "arm", fitzpatrick: 4 },
      "zh",
    );
    expect(again.id).toBe(first.id);
    expect(FeedbackRecordSchema.parse(first)).toEqual(first);
    expect(FeedbackRecordSchema.parse(again)).toEqual(again);
    expect(first.prediction.map((p) => p.label)).toEqual(["acne_rosacea", "nevus", "eczema"]);
    expect(first).not.toHaveProperty("bodySite");
    expect(again).toMatchObject({ confirmedLabel: "psoriasis", bodySite: "arm", fitzpatrick: 4, locale: "zh" });
  });

  it("gives different checks different ids", async () => {
    const [a, b] = [await exampleCheck(), await exampleCheck()];
    const answer = { confirmedLabel: "eczema", confirmedBy: "doctor" } as const;
    expect(feedbackRecord(a, answer, "en").id).not.toBe(feedbackRecord(b, answer, "en").id);
  });

  it("says who confirmed the label: a doctor only when the person saving said so", async () => {
    const check = await exampleCheck();
    expect(feedbackRecord(check, { confirmedLabel: "eczema", confirmedBy: "patient" }, "en").confirmedBy).toBe(
      "patient",
    );
    expect(feedbackRecord(check, { confirmedLabel: "eczema", confirmedBy: "doctor" }, "en").confirmedBy).toBe("doctor");
  });
});
