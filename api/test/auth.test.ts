import { exampleFeedback } from "@pifu/core/testing";
import { describe, expect, it } from "vitest";
import { adminHeaders, call, errorOf, postJson, publish, testEnv, tinyModelFolder } from "./fixtures.js";

const adminRequests: [string, string][] = [
  ["PUT", "/v1/admin/models/1.0.0/card"],
  ["PUT", "/v1/admin/models/1.0.0/files/model.json"],
  ["POST", "/v1/admin/models/1.0.0/complete"],
  ["POST", "/v1/admin/channels/stable"],
  ["POST", "/v1/admin/channels/stable/rollback"],
  ["GET", "/v1/admin/channels/stable/history"],
  ["GET", "/v1/feedback/export"],
];

describe("admin auth", () => {
  const badHeaders: [string, Record<string, string>][] = [
    ["no header", {}],
    ["wrong token", { authorization: "Bearer not-the-token" }],
    [
      "the hash instead of the token",
      { authorization: "Bearer 1dd687859be839440dc8370f72acde471587c34f2ca091c1ab71c5fa870155fb" },
    ],
    ["basic scheme", { authorization: `Basic ${btoa("admin:pifu-local-dev-token")}` }],
    ["empty bearer", { authorization: "Bearer " }],
  ];
  for (const [label, headers] of badHeaders) {
    it(`answers 401 with ${label}`, async () => {
      const card = (await tinyModelFolder("1.0.0")).card;
      for (const [method, path] of adminRequests) {
        const res = await call(path, {
          method,
          headers: { "content-type": "application/json", ...headers },
          ...(method === "GET" ? {} : { body: JSON.stringify(card) }),
        });
        expect(res.status, `${method} ${path}`).toBe(401);
        expect(res.headers.get("www-authenticate")).toContain("Bearer");
        expect((await errorOf(res)).code).toBe("unauthorized");
      }
      expect((await call("/v1/models/1.0.0/card")).status).toBe(404);
    });
  }
});

describe("admin auth without configured hashes (the deployed default)", () => {
  it("refuses every admin request, the development token included, and says why", async () => {
    for (const setting of [undefined, "", " , not-a-hash"]) {
      const bindings = { ...testEnv, ADMIN_TOKEN_HASHES: setting };
      for (const [method, path] of adminRequests) {
        const res = await call(
          path,
          { method, headers: adminHeaders({ "content-type": "application/json" }) },
          bindings,
        );
        expect(res.status, `${method} ${path}`).toBe(401);
        const error = await errorOf(res);
        expect(error.code).toBe("unauthorized");
        expect(error.message).toContain("admin access is disabled");
      }
    }
    // The same request with the local configuration (.dev.vars) gets through.
    expect((await call("/v1/admin/channels/stable/history", { headers: adminHeaders() })).status).toBe(200);
  });
});

describe("CORS", () => {
  it("allows configured origins only", async () => {
    const allowed = await call("/v1/health", { headers: { origin: "http://localhost:5173" } });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    const other = await call("/v1/health", { headers: { origin: "https://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await call("/v1/feedback", {
      method: "OPTIONS",
      headers: {
        origin: "http://127.0.0.1:5173",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("http://127.0.0.1:5173");
    expect(preflight.headers.get("access-control-allow-methods")).toContain("POST");
    await publish(await tinyModelFolder("2.0.0"));
    const record = exampleFeedback({ modelVersion: "2.0.0" });
    const posted = await postJson("/v1/feedback", record, { origin: "http://localhost:5173" });
    expect(posted.status).toBe(201);
    expect(posted.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
  });

  it("lets the PWA read the headers the README documents", async () => {
    const res = await call("/v1/models/2.0.0/files/model.json", { headers: { origin: "http://localhost:5173" } });
    const exposed = (res.headers.get("access-control-expose-headers") ?? "").toLowerCase().split(/\s*,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(["etag", "x-content-sha256", "x-pifu-model-version"]));
  });
});

describe("errors", () => {
  it("uses the one error shape for unknown routes and bad parameters", async () => {
    const missing = await call("/v1/nope");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: "not_found", message: expect.any(String) } });
    const badVersion = await call("/v1/models/latest/card");
    expect(badVersion.status).toBe(400);
    expect((await errorOf(badVersion)).code).toBe("bad_request");
    expect((await call("/v1/channels/nightly")).status).toBe(404);
  });
});
