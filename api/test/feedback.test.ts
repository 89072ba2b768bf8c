import { FEEDBACK_CSV_COLUMNS, feedbackFromCsvRow } from "@pifu/core";
import { exampleFeedback } from "@pifu/core/testing";
import { describe, expect, it } from "vitest";
import { adminHeaders, call, errorOf, postJson, testEnv } from "./fixtures.js";

async function feedbackRows(): Promise<number> {
  const row = await testEnv.DB.prepare("SELECT count(*) AS n FROM feedback").first<{ n: number }>();
  return row?.n ?? 0;
}

describe("POST /v1/feedback", () => {
  it("stores a record once and returns the stored one on a resend", async () => {
    const record = exampleFeedback();
    const first = await postJson("/v1/feedback", record);
    expect(first.status).toBe(201);
    expect(await first.json()).toEqual({ record });

    // A resend with the same id but other content writes nothing and returns what was stored.
    const resend = await postJson("/v1/feedback", { ...record, confirmedLabel: "eczema" });
    expect(resend.status).toBe(200);
    expect(await resend.json()).toEqual({ record, duplicate: true });
    const stored = await testEnv.DB.prepare("SELECT record FROM feedback WHERE id = ?1").bind(record.id).first();
    expect(JSON.parse(String(stored?.record))).toEqual(record);
  });

  it("rejects unknown fields, bad types and a wrong content type without writing", async () => {
    const before = await feedbackRows();
    const withPhoto = await postJson("/v1/feedback", { ...exampleFeedback(), photo: "data:image/png;base64,AAAA" });
    expect(withPhoto.status).toBe(400);
    expect((await errorOf(withPhoto)).code).toBe("invalid_body");
    expect((await postJson("/v1/feedback", { ...exampleFeedback(), day: "2026-11-25T10:00:00Z" })).status).toBe(400);
    const asText = await call("/v1/feedback", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify(exampleFeedback()),
    });
    expect(asText.status).toBe(415);
    const huge = await postJson("/v1/feedback", { ...exampleFeedback(), padding: "x".repeat(20_000) });
    expect(huge.status).toBe(413);
    expect(await feedbackRows()).toBe(before);
  });
});

describe("POST /v1/feedback/batch", () => {
  it("returns a status per record", async () => {
    const known = exampleFeedback();
    await postJson("/v1/feedback", known);
    const fresh = exampleFeedback({ confirmedLabel: "unknown", bodySite: undefined, fitzpatrick: undefined });
    const res = await postJson("/v1/feedback/batch", {
      records: [fresh, known, { ...exampleFeedback(), locale: "fr" }, fresh, "not a record"],
    });
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as { results: { index: number; id: string | null; status: string }[] };
    expect(results.map((r) => r.status)).toEqual(["created", "duplicate", "invalid", "duplicate", "invalid"]);
    expect(results[0]?.id).toBe(fresh.id);
    expect(results[4]?.id).toBeNull();
  });

  it("refuses more than 100 records", async () => {
    const records = Array.from({ length: 101 }, () => exampleFeedback());
    const res = await postJson("/v1/feedback/batch", { records });
    expect(res.status).toBe(400);
  });
});

describe("rate limit", () => {
  it("answers 429 with Retry-After once a client exceeds its window", async () => {
    const limited = { ...testEnv, FEEDBACK_RATE_LIMIT: "3", FEEDBACK_RATE_WINDOW_SECONDS: "60" };
    const send = (ip: string) =>
      call(
        "/v1/feedback",
        {
          method: "POST",
          headers: { "content-type": "application/json", "cf-connecting-ip": ip },
          body: JSON.stringify(exampleFeedback()),
        },
        limited,
      );
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await send("203.0.113.7")).status);
    expect(statuses).toEqual([201, 201, 201, 429]);
    const blocked = await send("203.0.113.7");
    const retryAfter = Number(blocked.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await errorOf(blocked)).code).toBe("rate_limited");
    expect((await send("203.0.113.8")).status).toBe(201);
  });
});

describe("GET /v1/feedback/export", () => {
  it("round-trips CSV into core feedbackFromCsvRow, with day and version filters", async () => {
    const records = [
      exampleFeedback({ day: "2026-10-01", modelVersion: "1.0.0" }),
      exampleFeedback({ day: "2026-10-02", modelVersion: "1.1.0", bodySite: undefined }),
      exampleFeedback({ day: "2026-10-03", modelVersion: "1.1.0", fitzpatrick: undefined, confirmedLabel: "unknown" }),
      exampleFeedback({ day: "2026-10-04", modelVersion: "1.0.0", prediction: [{ label: "acne", probability: 1 }] }),
    ];
    await postJson("/v1/feedback/batch", { records });

    const csv = await call("/v1/feedback/export?format=csv&from=2026-10-01&to=2026-10-04", { headers: adminHeaders() });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const [header, ...rows] = (await csv.text()).trim().split("\n");
    expect(header).toBe(FEEDBACK_CSV_COLUMNS.join(","));
    expect(rows.map(feedbackFromCsvRow)).toEqual(records);

    const filtered = await call("/v1/feedback/export?format=jsonl&modelVersion=1.1.0&from=2026-10-02&to=2026-10-02", {
      headers: adminHeaders(),
    });
    const lines = new TextDecoder()
      .decode(await filtered.arrayBuffer())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([records[1]]);

    expect((await call("/v1/feedback/export?format=xml", { headers: adminHeaders() })).status).toBe(400);
    expect((await call("/v1/feedback/export?from=2026-10-05&to=2026-10-01", { headers: adminHeaders() })).status).toBe(
      400,
    );
    expect((await call("/v1/feedback/export")).status).toBe(401);
  });

  it("streams exports larger than one page", async () => {
    const records = Array.from({ length: 1200 }, (_, i) =>
      exampleFeedback({ day: `2025-0${1 + (i % 9)}-1${i % 10}`, modelVersion: "9.9.9" }),
    );
    for (let i = 0; i < records.length; i += 100) {
      const res = await postJson("/v1/feedback/batch", { records: records.slice(i, i + 100) });
      expect(res.status).toBe(200);
    }
    const res = await call("/v1/feedback/export?format=csv&modelVersion=9.9.9", { headers: adminHeaders() });
    const rows = (await res.text()).trim().split("\n").slice(1);
    expect(rows).toHaveLength(1200);
    expect(new Set(rows.map((r) => feedbackFromCsvRow(r).id))).toEqual(new Set(records.map((r) => r.id)));
  });
});
