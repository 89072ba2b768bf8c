/**
 * Sends well over 1,000 malformed requests (bad JSON, wrong types, huge bodies, traversal in file
 * names, SQL meta-characters, unknown fields) and checks that none gets a 5xx, every error uses the
 * one error shape, and nothing is written to D1 or R2.
 */

import { env } from "cloudflare:workers";
import { FeedbackRecordSchema, ModelCardSchema } from "@pifu/core";
import { exampleFeedback } from "@pifu/core/testing";
import { describe, expect, it } from "vitest";
import type { Bindings } from "../src/env.js";
import { adminHeaders, call, tinyModelFolder } from "./fixtures.js";

const testEnv = env as unknown as Bindings;

interface HostileRequest {
  label: string;
  path: string;
  init: RequestInit;
}

const badJson = [
  "",
  "{",
  "}",
  "nul",
  "[1,2",
  '{"id":}',
  "{'id': 1}",
  '{"a":1}garbage',
  "\u0000\u0001",
  "NaN",
  '"\\ud800"',
  "{".repeat(5000),
];

const wrongValues: unknown[] = [
  null,
  0,
  -1,
  1e308,
  true,
  "",
  "x".repeat(3000),
  [],
  {},
  [null],
  { $gt: "" },
  "'; DROP TABLE feedback; --",
  "1.0.0' OR '1'='1",
  "../../etc/passwd",
  "\u202e",
];

const sqlMeta = [
  "'",
  "''",
  '"',
  "; DROP TABLE models; --",
  "1 OR 1=1",
  "%27%20OR%201%3D1",
  "\\",
  "`",
  "?1",
  "*",
  "%",
  "_",
];

const traversal = [
  "..",
  "../model.json",
  "..%2F..%2Fetc%2Fpasswd",
  "%2e%2e%2f%2e%2e%2f",
  "....//....//",
  "%252e%252e%252f",
  ".hidden",
  "a%00b",
  "a%2Fb",
  "a\\b".replace("\\", "%5C"),
  "%C0%AE%C0%AE%2F",
  `${"a".repeat(300)}`,
];

function jsonInit(method: string, body: string, headers: Record<string, string> = {}): RequestInit {
  return { method, headers: { "content-type": "application/json", ...headers }, body };
}

function hostileRequests(card: unknown): HostileRequest[] {
  const requests: HostileRequest[] = [];
  const add = (label: string, path: string, init: RequestInit = {}) => requests.push({ label, path, init });
  const record = exampleFeedback() as Record<string, unknown>;
  const jsonEndpoints: [string, string, Record<string, string>][] = [
    ["POST", "/v1/feedback", {}],
    ["POST", "/v1/feedback/batch", {}],
    ["PUT", "/v1/admin/models/1.0.0/card", adminHeaders()],
    ["POST", "/v1/admin/channels/stable", adminHeaders()],
  ];

  for (const [method, path, headers] of jsonEndpoints) {
    for (const body of badJson) add(`bad json ${path}`, path, jsonInit(method, body, headers));
    for (const value of wrongValues) add(`json value ${path}`, path, jsonInit(method, JSON.stringify(value), headers));
    for (const type of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data",
      "application/jsonx",
    ]) {
      add(`content type ${path}`, path, { method, headers: { ...headers, "content-type": type }, body: "{}" });
    }
    add(`huge ${path}`, path, jsonInit(method, JSON.stringify({ pad: "x".repeat(2_000_000) }), headers));
  }

  // Every feedback field replaced by every wrong value (those the schema rejects), alone and in a batch.
  for (const field of Object.keys(record)) {
    for (const value of wrongValues) {
      const broken = { ...record, [field]: value };
      if (FeedbackRecordSchema.safeParse(broken).success) continue;
      add(`feedback ${field}`, "/v1/feedback", jsonInit("POST", JSON.stringify(broken)));
      add(`batch ${field}`, "/v1/feedback/batch", jsonInit("POST", JSON.stringify({ records: [broken] })));
    }
  }
  const forbidden = [
    "photo",
    "image",
    "text",
    "note",
    "location",
    "lat",
    "deviceId",
    "time",
    "__proto__",
    "constructor",
  ];
  for (const extra of forbidden) {
    add(`unknown field ${extra}`, "/v1/feedback", jsonInit("POST", JSON.stringify({ ...record, [extra]: "x" })));
    add(
      `batch unknown ${extra}`,
      "/v1/feedback/batch",
      jsonInit("POST", JSON.stringify({ records: [record], [extra]: 1 })),
    );
    add(
      `card unknown ${extra}`,
      "/v1/admin/models/1.0.0/card",
      jsonInit("PUT", JSON.stringify({ ...(card as object), [extra]: "x" }), adminHeaders()),
    );
  }
  // Wrong values inside the prediction list.
  for (const key of ["label", "probability"]) {
    for (const value of wrongValues) {
      const prediction = [{ label: "eczema", probability: 0.5, [key]: value }];
      if (FeedbackRecordSchema.safeParse({ ...record, prediction }).success) continue;
      add(`prediction ${key}`, "/v1/feedback", jsonInit("POST", JSON.stringify({ ...record, prediction })));
      add(
        `prediction batch ${key}`,
        "/v1/feedback/batch",
        jsonInit("POST", JSON.stringify({ records: [{ ...record, prediction }] })),
      );
    }
  }
  // Huge bodies without a Content-Length (streamed), so the limit is enforced while reading.
  for (const path of ["/v1/feedback", "/v1/feedback/batch"]) {
    add(`streamed huge ${path}`, path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new Blob([`{"records":["${"z".repeat(1_000_000)}"]}`]).stream(),
    });
  }
  add("batch too many", "/v1/feedback/batch", jsonInit("POST", JSON.stringify({ records: Array(101).fill(record) })));
  add("batch empty", "/v1/feedback/batch", jsonInit("POST", JSON.stringify({ records: [] })));
  add(
    "batch huge",
    "/v1/feedback/batch",
    jsonInit("POST", JSON.stringify({ records: [{ pad: "y".repeat(600_000) }] })),
  );

  // Every card field replaced by wrong values (those the schema rejects).
  for (const field of Object.keys(card as object)) {
    for (const value of wrongValues) {
      const broken = { ...(card as object), [field]: value };
      if (ModelCardSchema.safeParse(broken).success) continue;
      add(`card ${field}`, "/v1/admin/models/1.0.0/card", jsonInit("PUT", JSON.stringify(broken), adminHeaders()));
    }
  }

  // Traversal and SQL meta-characters in path segments and query strings, with and without the admin token.
  for (const name of [...traversal, ...sqlMeta.map(encodeURIComponent)]) {
    add(`file get ${name}`, `/v1/models/1.0.0/files/${name}`);
    add(`version get ${name}`, `/v1/models/${name}/card`);
    add(`version file ${name}`, `/v1/models/${name}/files/model.json`);
    add(`channel ${name}`, `/v1/channels/${name}`);
    add(`file put ${name}`, `/v1/admin/models/1.0.0/files/${name}`, {
      method: "PUT",
      headers: adminHeaders({ "content-type": "application/octet-stream" }),
      body: new Uint8Array([1, 2, 3]),
    });
    add(`version put ${name}`, `/v1/admin/models/${name}/card`, jsonInit("PUT", JSON.stringify(card), adminHeaders()));
    add(`complete ${name}`, `/v1/admin/models/${name}/complete`, { method: "POST", headers: adminHeaders() });
    add(
      `promote ${name}`,
      `/v1/admin/channels/${name}`,
      jsonInit("POST", JSON.stringify({ version: name }), adminHeaders()),
    );
    add(
      `promote body ${name}`,
      "/v1/admin/channels/beta",
      jsonInit("POST", JSON.stringify({ version: name }), adminHeaders()),
    );
    add(`rollback ${name}`, `/v1/admin/channels/${name}/rollback`, { method: "POST", headers: adminHeaders() });
    add(`export ${name}`, `/v1/feedback/export?modelVersion=${name}&from=${name}`, { headers: adminHeaders() });
    add(`unauth card ${name}`, `/v1/admin/models/${name}/card`, jsonInit("PUT", JSON.stringify(card)));
  }
  for (const value of sqlMeta) {
    const q = encodeURIComponent(value);
    add(`export format ${value}`, `/v1/feedback/export?format=${q}`, { headers: adminHeaders() });
    add(`export to ${value}`, `/v1/feedback/export?to=${q}`, { headers: adminHeaders() });
    add(`export extra ${value}`, `/v1/feedback/export?${q}=1`, { headers: adminHeaders() });
  }
  // Uploads to a version that has no card, and wrong methods.
  add("upload without card", "/v1/admin/models/9.9.9/files/model.json", {
    method: "PUT",
    headers: adminHeaders({ "content-type": "application/octet-stream" }),
    body: "{}",
  });
  for (const method of ["DELETE", "PATCH", "PUT"]) add(`method ${method}`, "/v1/feedback", { method });
  return requests;
}

describe("hostile input", () => {
  it("never answers 5xx and writes nothing", { timeout: 60_000 }, async () => {
    const { card } = await tinyModelFolder("1.0.0");
    const requests = hostileRequests(card);
    expect(requests.length).toBeGreaterThanOrEqual(1000);

    const failures: string[] = [];
    for (let i = 0; i < requests.length; i += 50) {
      const chunk = requests.slice(i, i + 50);
      const responses = await Promise.all(chunk.map((r) => call(r.path, r.init)));
      for (const [j, res] of responses.entries()) {
        const { label, path } = chunk[j]!;
        const text = await res.text();
        if (res.status >= 500) failures.push(`${res.status} ${label} ${path}: ${text.slice(0, 200)}`);
        else if (res.status === 200 && path === "/v1/feedback/batch") {
          // A well-formed batch answers 200 with a status per record: every one must be invalid.
          const { results } = JSON.parse(text) as { results: { status: string }[] };
          if (results.some((r) => r.status !== "invalid")) failures.push(`batch record accepted: ${label}`);
        } else if (res.status < 400) failures.push(`${res.status} (accepted) ${label} ${path}`);
        else if (res.status !== 404 || text) {
          const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
          if (typeof body.error?.code !== "string" || typeof body.error.message !== "string") {
            failures.push(`${res.status} ${label}: not the error shape: ${text.slice(0, 100)}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);

    // Those counters (kept out of the check below) hold salted hashes, never an address.
    const { results: counters } = await testEnv.DB.prepare("SELECT client FROM rate_limits").all<{ client: string }>();
    expect(counters.length).toBeGreaterThan(0);
    for (const { client } of counters) expect(client).toMatch(/^[0-9a-f]{64}$/);

    // Every table of the schema except rate_limits, whose counters rejected feedback requests bump on purpose.
    const { results: tables } = await testEnv.DB.prepare(
      `SELECT name FROM sqlite_master WHERE type = 'table'
         AND name NOT IN ('rate_limits', 'd1_migrations', 'sqlite_sequence') AND substr(name, 1, 4) != '_cf_'`,
    ).all<{ name: string }>();
    expect(tables.map((t) => t.name).sort()).toEqual([
      "channel_history",
      "channels",
      "feedback",
      "model_files",
      "models",
    ]);
    for (const { name: table } of tables) {
      const row = await testEnv.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>();
      expect(row?.n, `${table} rows`).toBe(0);
    }
    expect((await testEnv.MODELS.list()).objects).toEqual([]);
  });
});
