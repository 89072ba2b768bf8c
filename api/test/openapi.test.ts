import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import { call } from "./fixtures.js";

type Operation = { security?: unknown[] };

describe("GET /v1/openapi.json", () => {
  it("documents every route of the app, and marks admin routes as secured", async () => {
    const res = await call("/v1/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, Operation>> };
    expect(doc.openapi).toBe("3.1.0");
    const routes = createApp()
      .routes.filter((r) => r.method !== "ALL")
      .map((r) => ({ method: r.method.toLowerCase(), path: r.path.replace(/:(\w+)/g, "{$1}") }));

    for (const { method, path } of routes) {
      const operation = doc.paths[path]?.[method];
      expect(operation, `${method.toUpperCase()} ${path} is missing from the OpenAPI document`).toBeDefined();
      const isAdmin = path.startsWith("/v1/admin/") || path === "/v1/feedback/export";
      expect(Boolean(operation?.security), `${method} ${path} security`).toBe(isAdmin);
    }
    expect(new Set(routes.map((r) => `${r.method} ${r.path}`)).size).toBe(15);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    // Middleware shows up in app.routes once per handler, hence the Set.
    const served = new Set(routes.map((r) => `${r.method} ${r.path}`));
    expect(documented.sort()).toEqual([...served].sort());
  });
});
