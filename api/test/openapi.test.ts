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

  it("says what the routes answer", async () => {
    type Responses = Record<string, unknown>;
    const doc = (await (await call("/v1/openapi.json")).json()) as {
      paths: Record<
        string,
        Record<string, { responses: Responses; requestBody?: { content: Record<string, { schema: unknown }> } }>
      >;
    };
    const operation = (path: string, method: string) => doc.paths[path]![method]!;
    const batch = operation("/v1/feedback/batch", "post").requestBody?.content["application/json"]?.schema as {
      properties: { records: { minItems: number; maxItems: number; items: unknown } };
    };
    // An empty batch is a 400; any item is taken and answered invalid when it is no record.
    expect(batch.properties.records).toMatchObject({ minItems: 1, maxItems: 100 });
    expect(batch.properties.records.items).toEqual({});
    for (const [path, method] of [
      ["/v1/admin/models/{version}/card", "put"],
      ["/v1/admin/channels/{channel}", "post"],
    ]) {
      expect(Object.keys(operation(path!, method!).responses), path).toEqual(expect.arrayContaining(["413", "415"]));
    }
    expect(Object.keys(operation("/v1/channels/{channel}", "get").responses).sort()).toEqual(["200", "304", "404"]);
  });
});
