import { describe, expect, it } from "vitest";
import { FEEDBACK_CSV_COLUMNS, FeedbackRecordSchema, feedbackFromCsvRow, feedbackToCsvRow } from "./feedback.js";
import { exampleFeedback } from "./testing.js";

describe("feedback record", () => {
  it("accepts a complete anonymized record and one without optional fields", () => {
    expect(FeedbackRecordSchema.parse(exampleFeedback())).toBeTruthy();
    const { bodySite: _b, fitzpatrick: _f, ...minimal } = exampleFeedback({ confirmedLabel: "unknown" });
    expect(FeedbackRecordSchema.safeParse(minimal).success).toBe(true);
  });

  it.each([
    ["a photo", { photo: "data:image/jpeg;base64,AAAA" }],
    ["free text", { note: "patient is John" }],
    ["a location", { latitude: 1.2 }],
    ["a device id", { deviceId: "abc" }],
    ["a timestamp instead of a day", { day: "2026-11-25T10:00:00Z" }],
    ["a non-UUID id", { id: "1" }],
    ["four predictions", { prediction: Array(4).fill({ label: "eczema", probability: 0.25 }) }],
    ["a probability above 1", { prediction: [{ label: "eczema", probability: 1.5 }] }],
    ["an SQL-ish label", { confirmedLabel: "x'; DROP TABLE feedback;--" }],
    ["a Fitzpatrick type of 7", { fitzpatrick: 7 }],
    ["an unknown confirmer", { confirmedBy: "robot" }],
  ])("rejects %s", (_what, patch) => {
    expect(FeedbackRecordSchema.safeParse({ ...exampleFeedback(), ...patch }).success).toBe(false);
  });

  it("round-trips through the CSV export row", () => {
    const record = exampleFeedback();
    const row = feedbackToCsvRow(record);
    expect(row.split(",")).toHaveLength(FEEDBACK_CSV_COLUMNS.length);
    expect(feedbackFromCsvRow(row)).toEqual(record);
    const short = exampleFeedback({ prediction: [{ label: "warts", probability: 0.9 }], bodySite: undefined });
    const { bodySite: _drop, ...expected } = short;
    expect(feedbackFromCsvRow(feedbackToCsvRow(short))).toEqual(expected);
  });
});
