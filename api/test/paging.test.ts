import { describe, expect, it } from "vitest";
import { encodeCursor } from "../src/routes/paging.js";
import { type ExportFilter, exportOrder, exportPageQuery } from "../src/storage/feedback.js";
import { adminHeaders, call, errorOf, postJson, publish, testEnv, tinyModelFolder } from "./fixtures.js";

interface ModelPage {
  models: { version: string; channels: string[] }[];
  nextCursor: string | null;
}

async function modelPage(query: string): Promise<ModelPage> {
  const res = await call(`/v1/models${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as ModelPage;
}

interface HistoryPage {
  current: string | null;
  history: { id: number; action: string; version: string }[];
  nextCursor: string | null;
}

async function historyPage(query: string): Promise<HistoryPage> {
  const res = await call(`/v1/admin/channels/beta/history${query}`, { headers: adminHeaders() });
  expect(res.status).toBe(200);
  return (await res.json()) as HistoryPage;
}

describe("GET /v1/models pages", () => {
  it("walks every published version once, newest published first, even when one is published between pages", async () => {
    // This file's D1 starts empty.
    expect(await modelPage("")).toEqual({ models: [], nextCursor: null });
    for (const version of ["2.0.0", "2.1.0", "2.2.0"]) await publish(await tinyModelFolder(version));

    const first = await modelPage("?limit=2");
    expect(first.models.map((m) => m.version)).toEqual(["2.2.0", "2.1.0"]);
    expect(first.nextCursor).toEqual(expect.any(String));

    // Published after the first page was read: it belongs before that page, so no later page repeats or skips.
    await publish(await tinyModelFolder("2.3.0"), "stable");
    const second = await modelPage(`?limit=2&cursor=${first.nextCursor}`);
    expect(second.models.map((m) => m.version)).toEqual(["2.0.0"]);
    expect(second.nextCursor).toBeNull();

    // An unknown parameter (a cache-buster) changes nothing.
    const all = await modelPage("?_=1732700000");
    expect(all.models.map((m) => m.version)).toEqual(["2.3.0", "2.2.0", "2.1.0", "2.0.0"]);
    expect(all.models[0]).toMatchObject({ name: expect.any(String), quantization: "float32", channels: ["stable"] });
    expect(all.nextCursor).toBeNull();
  });

  it.each([
    ["?limit=0", "page query"],
    ["?limit=101", "page query"],
    ["?limit=ten", "page query"],
    ["?cursor=not-a-cursor!", "cursor is not one this list handed out"],
    [`?cursor=${encodeCursor({ id: 3 })}`, "cursor is not one this list handed out"],
  ])("refuses %s with a 400 that says why", async (query, message) => {
    const res = await call(`/v1/models${query}`);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toContain(message);
  });
});

describe("GET /v1/admin/channels/:channel/history pages", () => {
  it("pages through the moves newest first and ends with a null cursor", async () => {
    await publish(await tinyModelFolder("3.0.0"), "beta");
    await publish(await tinyModelFolder("3.1.0"), "beta");
    expect((await call("/v1/admin/channels/beta/rollback", { method: "POST", headers: adminHeaders() })).status).toBe(
      200,
    );
    expect((await postJson("/v1/admin/channels/beta", { version: "3.1.0" }, adminHeaders())).status).toBe(200);

    const whole = await historyPage("");
    expect(whole.history.map((h) => `${h.action} ${h.version}`)).toEqual([
      "promote 3.1.0",
      "rollback 3.0.0",
      "promote 3.1.0",
      "promote 3.0.0",
    ]);
    expect(whole.nextCursor).toBeNull();

    const pages: HistoryPage[] = [await historyPage("?limit=3")];
    while (pages.at(-1)?.nextCursor) pages.push(await historyPage(`?limit=3&cursor=${pages.at(-1)?.nextCursor}`));
    expect(pages.map((p) => p.history.length)).toEqual([3, 1]);
    expect(pages.flatMap((p) => p.history)).toEqual(whole.history);
    expect(pages.every((p) => p.current === "3.1.0")).toBe(true);
  });

  it("refuses a models-list cursor", async () => {
    const res = await call(
      `/v1/admin/channels/beta/history?cursor=${encodeCursor({ completedAt: "x", version: "1.0.0" })}`,
      {
        headers: adminHeaders(),
      },
    );
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toContain("cursor");
  });
});

describe("feedback export pages", () => {
  async function plan(filter: ExportFilter, after: string[] | null): Promise<string> {
    const { sql, params } = exportPageQuery(filter, after, 500);
    const { results } = await testEnv.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .bind(...params)
      .all<{ detail: string }>();
    return results.map((r) => r.detail).join("; ");
  }

  it.each<ExportFilter>([
    {},
    { from: "2026-01-01", to: "2026-02-01" },
    { receivedFrom: "2026-01-01", receivedTo: "2026-01-31" },
    { receivedFrom: "2026-01-01", receivedTo: "2026-01-01" },
    { receivedTo: "2026-01-31" },
    { modelVersion: "1.0.0" },
    { modelVersion: "1.0.0", receivedFrom: "2026-01-01", receivedTo: "2026-01-31" },
    { from: "2025-12-01", receivedFrom: "2026-01-01", receivedTo: "2026-01-31" },
  ])("read %j in index order, a later page seeking to its cursor", async (filter) => {
    const first = await plan(filter, null);
    expect(first).not.toContain("TEMP B-TREE");
    const { columns } = exportOrder(filter);
    const later = await plan(
      filter,
      columns.map(() => "2026-01-15"),
    );
    expect(later).not.toContain("TEMP B-TREE");
    expect(later).toMatch(new RegExp(`^SEARCH feedback USING INDEX \\w+ \\(.*\\(${columns.join(",")}\\)>\\(`));
  });
});
