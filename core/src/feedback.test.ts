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
    ["a version 1 UUID (time and MAC address)", { id: "6ba7b810-9dad-11d1-80b4-00c04fd430c8" }],
    ["a version 7 UUID (a timestamp)", { id: "01936c8e-7b2a-7cc3-9e5f-2a1b3c4d5e6f" }],
    ["an upper-case UUID", { id: "9F1C2B3A-4D5E-4F60-8A7B-1C2D3E4F5A6B" }],
    ["a UUID with a non-RFC variant", { id: "9f1c2b3a-4d5e-4f60-ca7b-1c2d3e4f5a6b" }],
    ["four predictions", { prediction: Array(4).fill({ label: "eczema", probability: 0.25 }) }],
    ["a probability above 1", { prediction: [{ label: "eczema", probability: 1.5 }] }],
    ["an SQL-ish label", { confirmedLabel: "x'; DROP TABLE feedback;--" }],
    ["a Fitzpatrick type of 7", { fitzpatrick: 7 }],
    ["an unknown confirmer", { confirmedBy: "robot" }],
  ])("rejects %s", (_what, patch) => {
    expect(FeedbackRecordSchema.safeParse({ ...exampleFeedback(), ...patch }).success).toBe(false);
  });

  it("takes ids as crypto.randomUUID() makes them, and says what an id must be", () => {
    for (let i = 0; i < 20; i++)
      expect(FeedbackRecordSchema.safeParse(exampleFeedback({ id: crypto.randomUUID() })).success).toBe(true);
    const refused = FeedbackRecordSchema.safeParse(exampleFeedback({ id: "6ba7b810-9dad-11d1-80b4-00c04fd430c8" }));
    expect(refused.error?.issues[0]?.message).toContain("random UUID (version 4) in lower case");
  });

  it("round-trips through the CSV export row", () => {
    const record = exampleFeedback();
    const row = feedbackToCsvRow(record);
    expect(row.split(",")).toHaveLength(FEEDBACK_CSV_COLUMNS.length);
    expect(feedbackFromCsvRow(row)).toEqual(record);
    const short = exampleFeedback({ prediction: [{ label: "warts", probability: 0.9 }], bodySite: undefined });
    const { bodySite: _drop, ...expected } = short;
    expect(feedbackFromCsvRow(feedbackToCsvRow(short))).toEqual(expected);
    // Exported before ids had to be lower-case v4 UUIDs.
    const older = { ...exampleFeedback(), id: "6BA7B810-9DAD-11D1-80B4-00C04FD430C8" };
    expect(feedbackFromCsvRow(feedbackToCsvRow(older))).toEqual(older);
  });
});
