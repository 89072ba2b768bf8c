import { FEEDBACK_CSV_COLUMNS, type FeedbackBatchResult, feedbackFromCsvRow, sha256Hex } from "@pifu/core";
import { exampleFeedback } from "@pifu/core/testing";
import { beforeAll, describe, expect, it } from "vitest";
import type { Bindings } from "../src/env.js";
import { clientKey } from "../src/middleware/rate-limit.js";
import { adminHeaders, BASE, call, errorOf, postJson, publish, testEnv, tinyModelFolder, worker } from "./fixtures.js";

// Feedback must name a published model (exampleFeedback says 1.0.0) and use its classes (skin8's).
beforeAll(async () => {
  for (const version of ["1.0.0", "1.1.0", "9.9.9"]) await publish(await tinyModelFolder(version));
});

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

  it("refuses an id that is not a lower-case random UUID", async () => {
    const before = await feedbackRows();
    const record = exampleFeedback();
    const refused = async (patch: Partial<typeof record>) => {
      const res = await postJson("/v1/feedback", { ...record, ...patch });
      expect(res.status, JSON.stringify(patch)).toBe(400);
      return (await errorOf(res)).message;
    };
    expect(await refused({ id: record.id.toUpperCase() })).toContain("random UUID (version 4) in lower case");
    expect(await refused({ id: "6ba7b810-9dad-11d1-80b4-00c04fd430c8" })).toContain("random UUID (version 4)");
    expect(await feedbackRows()).toBe(before);
  });

  it("keeps a record from a phone whose clock is years off: its day is the phone's claim", async () => {
    for (const day of ["1970-01-01", "2099-12-31"]) {
      expect((await postJson("/v1/feedback", exampleFeedback({ day }))).status, day).toBe(201);
    }
  });

  it("refuses a version that is not published and labels that are not the model's classes (422)", async () => {
    const before = await feedbackRows();
    const unpublished = await postJson("/v1/feedback", exampleFeedback({ modelVersion: "42.0.0" }));
    expect(unpublished.status).toBe(422);
    expect(await errorOf(unpublished)).toEqual({ code: "unknown_model", message: "model 42.0.0 is not published" });

    const fakeConfirmed = await postJson("/v1/feedback", exampleFeedback({ confirmedLabel: "totally_fake" }));
    expect(fakeConfirmed.status).toBe(422);
    const error = await errorOf(fakeConfirmed);
    expect(error.code).toBe("unknown_label");
    expect(error.message).toContain('confirmedLabel "totally_fake" is unknown');
    expect(error.message).toContain("acne_rosacea");

    const fakePrediction = exampleFeedback({
      prediction: [
        { label: "eczema", probability: 0.6 },
        { label: "acne", probability: 0.4 },
      ],
    });
    const predicted = await postJson("/v1/feedback", fakePrediction);
    expect(predicted.status).toBe(422);
    expect((await errorOf(predicted)).message).toContain('prediction[1].label "acne" is unknown');
    // "unknown" is a class of no model but always a valid answer; as a prediction it is not.
    const unknownPrediction = exampleFeedback({ prediction: [{ label: "unknown", probability: 1 }] });
    expect((await postJson("/v1/feedback", unknownPrediction)).status).toBe(422);
    expect(await feedbackRows()).toBe(before);

    expect((await postJson("/v1/feedback", exampleFeedback({ confirmedLabel: "unknown" }))).status).toBe(201);
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
    const { results } = (await res.json()) as { results: FeedbackBatchResult[] };
    expect(results.map((r) => r.status)).toEqual(["created", "duplicate", "invalid", "duplicate", "invalid"]);
    expect(results[0]?.id).toBe(fresh.id);
    expect(results[4]?.id).toBeNull();
    expect(results.map((r) => r.code)).toEqual([undefined, undefined, "invalid_record", undefined, "invalid_record"]);
    expect(results[2]?.error).toContain("locale");
  });

  it("marks records for an unpublished model or with unknown labels invalid and stores the rest", async () => {
    const good = [exampleFeedback(), exampleFeedback({ modelVersion: "1.1.0", confirmedLabel: "warts" })];
    const bad = [
      exampleFeedback({ modelVersion: "42.0.0" }),
      exampleFeedback({ confirmedLabel: "totally_fake" }),
      exampleFeedback({ prediction: [{ label: "melanoma", probability: 0.9 }] }),
    ];
    const res = await postJson("/v1/feedback/batch", { records: [bad[0], good[0], bad[1], bad[2], good[1]] });
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as { results: FeedbackBatchResult[] };
    expect(results.map((r) => r.status)).toEqual(["invalid", "created", "invalid", "invalid", "created"]);
    // The code tells a client what may change: an unpublished version may be published later, a bad label not.
    expect(results.map((r) => r.code)).toEqual([
      "unknown_model",
      undefined,
      "unknown_label",
      "unknown_label",
      undefined,
    ]);
    expect(results[0]).toEqual({
      index: 0,
      id: bad[0]?.id,
      status: "invalid",
      code: "unknown_model",
      error: "model 42.0.0 is not published",
    });
    expect(results[2]?.error).toContain('confirmedLabel "totally_fake" is unknown');
    expect(results[3]?.error).toContain('prediction[0].label "melanoma" is unknown');
    const { results: stored } = await testEnv.DB.prepare("SELECT id FROM feedback WHERE id IN (?1, ?2, ?3, ?4, ?5)")
      .bind(...[...good, ...bad].map((r) => r.id))
      .all<{ id: string }>();
    expect(stored.map((r) => r.id).sort()).toEqual(good.map((r) => r.id).sort());
  });

  it("accepts a record refused as unknown_model once its version is published", async () => {
    const record = exampleFeedback({ modelVersion: "4.0.0" });
    const send = async () => {
      const res = await postJson("/v1/feedback/batch", { records: [record] });
      return ((await res.json()) as { results: FeedbackBatchResult[] }).results[0];
    };
    expect(await send()).toMatchObject({ status: "invalid", code: "unknown_model" });
    await publish(await tinyModelFolder("4.0.0"));
    expect(await send()).toEqual({ index: 0, id: record.id, status: "created" });
  });

  it("documents every refusal code in the OpenAPI document", async () => {
    const doc = (await (await call("/v1/openapi.json")).json()) as {
      paths: Record<string, { post: { responses: Record<string, { content: Record<string, { schema: unknown }> }> } }>;
    };
    const schema = doc.paths["/v1/feedback/batch"]?.post.responses["200"]?.content["application/json"]?.schema as {
      properties: { results: { items: { properties: { code: { enum: string[] } } } } };
    };
    expect(schema.properties.results.items.properties.code.enum.sort()).toEqual([
      "invalid_record",
      "unknown_label",
      "unknown_model",
    ]);
  });

  it("looks up a batch's model versions in one D1 query, and published ones not again", async () => {
    const queries: string[] = [];
    const db = new Proxy(testEnv.DB, {
      get(target, property) {
        if (property === "prepare") {
          return (sql: string) => {
            queries.push(sql);
            return target.prepare(sql);
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const countedEnv = { ...testEnv, DB: db };
    const modelQueries = () => queries.filter((sql) => /\bFROM models\b/.test(sql)).length;
    const records = [
      exampleFeedback({ modelVersion: "1.1.0" }),
      ...Array.from({ length: 60 }, (_, i) => exampleFeedback({ modelVersion: `50.${i}.0` })),
    ];
    const post = async (batch: unknown[]) => {
      const res = await call(
        "/v1/feedback/batch",
        { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ records: batch }) },
        countedEnv,
      );
      return ((await res.json()) as { results: FeedbackBatchResult[] }).results;
    };
    const results = await post(records);
    expect(results.filter((r) => r.code === "unknown_model")).toHaveLength(60);
    expect(results[0]?.status).toBe("created");
    expect(modelQueries()).toBe(1);
    queries.length = 0;
    expect((await post([exampleFeedback({ modelVersion: "1.1.0" })]))[0]?.status).toBe("created");
    expect(modelQueries()).toBe(0);
  });

  it("refuses more than 100 records", async () => {
    const records = Array.from({ length: 101 }, () => exampleFeedback());
    const res = await postJson("/v1/feedback/batch", { records });
    expect(res.status).toBe(400);
  });
});

/** Posts one valid feedback record as the client at `ip`. */
const sendFrom = (ip: string, bindings: Bindings = testEnv) =>
  call(
    "/v1/feedback",
    {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": ip },
      body: JSON.stringify(exampleFeedback()),
    },
    bindings,
  );

describe("rate limit", () => {
  it("answers 429 with Retry-After once a client exceeds its window", async () => {
    const limited = { ...testEnv, FEEDBACK_RATE_LIMIT: "3", FEEDBACK_RATE_WINDOW_SECONDS: "60" };
    const send = (ip: string) => sendFrom(ip, limited);
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

  it("counts an IPv6 client by its /64, however it writes or rotates its address", async () => {
    const limited = { ...testEnv, FEEDBACK_RATE_LIMIT: "3", FEEDBACK_RATE_WINDOW_SECONDS: "60" };
    const addresses = [
      "2001:db8:7:1::1",
      "2001:db8:7:1:8a2e:370:7334:1",
      "2001:0db8:0007:0001::abcd",
      "2001:db8:7:1::2",
    ];
    const statuses = [];
    for (const ip of addresses) statuses.push((await sendFrom(ip, limited)).status);
    expect(statuses).toEqual([201, 201, 201, 429]);
    expect((await sendFrom("2001:db8:7:2::1", limited)).status).toBe(201);
    // An IPv4 client reached over IPv6 is counted as that IPv4 address.
    for (let i = 0; i < 3; i++) expect((await sendFrom("203.0.113.99", limited)).status).toBe(201);
    expect((await sendFrom("::ffff:203.0.113.99", limited)).status).toBe(429);
  });
});

describe("rate-limit storage", () => {
  const countersOf = async (client: string) =>
    (
      await testEnv.DB.prepare("SELECT client, count FROM rate_limits WHERE client = ?1")
        .bind(client)
        .all<{ client: string; count: number }>()
    ).results;
  const unsalted = (ip: string) => sha256Hex(new TextEncoder().encode(ip));

  it("stores a salted hash of the client address, never the address", async () => {
    expect(testEnv.IP_HASH_SALT).toBeTruthy();
    const ip = "198.51.100.23";
    expect((await sendFrom(ip)).status).toBe(201);
    expect((await sendFrom(ip)).status).toBe(201);
    const key = await clientKey(testEnv, ip);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).not.toBe(await unsalted(ip));
    expect(await countersOf(key)).toEqual([{ client: key, count: 2 }]);
    const { results } = await testEnv.DB.prepare("SELECT client FROM rate_limits").all<{ client: string }>();
    for (const { client } of results) expect(client).toMatch(/^[0-9a-f]{64}$/);
    expect(await countersOf(ip)).toEqual([]);
  });

  it("without IP_HASH_SALT still stores no address nor its plain hash, and still counts per client", async () => {
    const unsaltedEnv = { ...testEnv, IP_HASH_SALT: undefined };
    const ip = "198.51.100.24";
    expect((await sendFrom(ip, unsaltedEnv)).status).toBe(201);
    expect((await sendFrom(ip, unsaltedEnv)).status).toBe(201);
    const key = await clientKey(unsaltedEnv, ip);
    expect(key).not.toBe(await unsalted(ip));
    expect(key).not.toBe(await clientKey(testEnv, ip));
    expect(await countersOf(key)).toEqual([{ client: key, count: 2 }]);
    expect(await countersOf(await unsalted(ip))).toEqual([]);
    expect(await countersOf(ip)).toEqual([]);
  });

  it("deletes every client's past windows, not only the returning client's", async () => {
    const stale = ["a", "b"].map((c) => c.repeat(64));
    for (const [i, client] of stale.entries()) {
      await testEnv.DB.prepare("INSERT INTO rate_limits (client, window_start, count) VALUES (?1, ?2, 5)")
        .bind(client, 60 * i)
        .run();
    }
    // A new client's first request of the window cleans up (call() waits for the cleanup to finish).
    expect((await sendFrom("198.51.100.25")).status).toBe(201);
    for (const client of stale) expect(await countersOf(client)).toEqual([]);
    const { results } = await testEnv.DB.prepare("SELECT DISTINCT window_start FROM rate_limits").all();
    expect(results).toHaveLength(1);
  });
});

describe("GET /v1/feedback/export", () => {
  it("round-trips CSV into core feedbackFromCsvRow, with day and version filters", async () => {
    const records = [
      exampleFeedback({ day: "2026-10-01", modelVersion: "1.0.0" }),
      exampleFeedback({ day: "2026-10-02", modelVersion: "1.1.0", bodySite: undefined }),
      exampleFeedback({ day: "2026-10-03", modelVersion: "1.1.0", fitzpatrick: undefined, confirmedLabel: "unknown" }),
      exampleFeedback({
        day: "2026-10-04",
        modelVersion: "1.0.0",
        prediction: [{ label: "acne_rosacea", probability: 1 }],
      }),
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

  it("filters on the day a record arrived, so an incremental export catches late syncs", async () => {
    // A version of its own keeps the other tests' records (received today) out of these exports.
    await publish(await tinyModelFolder("3.0.0"));
    const onTime = exampleFeedback({ day: "2026-09-01", modelVersion: "3.0.0" });
    const late = exampleFeedback({ day: "2026-09-01", modelVersion: "3.0.0", confirmedLabel: "nevus" });
    const other = exampleFeedback({ day: "2026-09-03", modelVersion: "3.0.0" });
    await postJson("/v1/feedback/batch", { records: [onTime, late, other] });
    // The API stamps received_day with today's UTC day; set the days these records would have arrived
    // on: the late one was given offline on 09-01 and synced on 09-04, after the 09-01..09-03 export.
    const arrived = [
      [onTime, "2026-09-01"],
      [other, "2026-09-03"],
      [late, "2026-09-04"],
    ] as const;
    for (const [record, day] of arrived) {
      await testEnv.DB.prepare("UPDATE feedback SET received_day = ?1 WHERE id = ?2").bind(day, record.id).run();
    }
    const ids = async (query: string) => {
      const res = await call(`/v1/feedback/export?format=jsonl&modelVersion=3.0.0&${query}`, {
        headers: adminHeaders(),
      });
      expect(res.status, query).toBe(200);
      const text = new TextDecoder().decode(await res.arrayBuffer()).trim();
      return text ? text.split("\n").map((line) => (JSON.parse(line) as { id: string }).id) : [];
    };
    expect(await ids("receivedFrom=2026-09-01&receivedTo=2026-09-03")).toEqual([onTime.id, other.id]);
    // The next incremental export starts the day after the last one's receivedTo: the late record is
    // there, though its own day was in the earlier range; the next client-day range misses it.
    expect(await ids("receivedFrom=2026-09-04&receivedTo=2026-09-04")).toEqual([late.id]);
    expect(await ids("from=2026-09-04")).toEqual([]);
    expect(await ids("from=2026-09-01&to=2026-09-01&receivedTo=2026-09-03")).toEqual([onTime.id]);
    expect(await ids("to=2026-09-01")).toEqual([onTime.id, late.id].sort());

    for (const bad of [
      "receivedFrom=2026-09-05&receivedTo=2026-09-04",
      "receivedTo=yesterday",
      "receivedFrom=2026-13-01",
    ]) {
      const res = await call(`/v1/feedback/export?${bad}`, { headers: adminHeaders() });
      expect(res.status, bad).toBe(400);
      expect((await errorOf(res)).code).toBe("invalid_body");
    }
    const twice = await call("/v1/feedback/export?receivedFrom=2026-09-01&receivedFrom=2026-09-02", {
      headers: adminHeaders(),
    });
    expect(twice.status).toBe(400);
  });
});

describe("a failing export", () => {
  const hideTable = () => testEnv.DB.prepare("ALTER TABLE feedback RENAME TO feedback_hidden").run();
  const restoreTable = () => testEnv.DB.prepare("ALTER TABLE feedback_hidden RENAME TO feedback").run();

  it("answers 500 in the error shape when D1 fails before the first row", async () => {
    await hideTable();
    try {
      const res = await call("/v1/feedback/export?format=csv", { headers: adminHeaders() });
      expect(res.status).toBe(500);
      expect((await errorOf(res)).code).toBe("internal");
    } finally {
      await restoreTable();
    }
  });

  it("breaks the download instead of ending a truncated CSV cleanly when D1 fails mid-export", async () => {
    const records = Array.from({ length: 700 }, () => exampleFeedback({ day: "2025-12-01", modelVersion: "9.9.9" }));
    for (let i = 0; i < records.length; i += 100) {
      await postJson("/v1/feedback/batch", { records: records.slice(i, i + 100) });
    }
    // Through workerd's own fetch path, as an HTTP client would get it.
    const res = await worker.fetch(`${BASE}/v1/feedback/export?format=csv&modelVersion=9.9.9&from=2025-12-01`, {
      headers: adminHeaders(),
    });
    expect(res.status).toBe(200);
    // The first page (500 rows) was read to answer; the second is queried once the client gets there.
    await hideTable();
    try {
      const reader = res.body!.getReader();
      const received: string[] = [];
      const decoder = new TextDecoder();
      const readAll = async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          received.push(decoder.decode(value, { stream: true }));
        }
      };
      await expect(readAll()).rejects.toThrow(/no such table: feedback/);
      expect(received.join("").trim().split("\n")).toHaveLength(1 + 500);
    } finally {
      await restoreTable();
    }
  });
});
