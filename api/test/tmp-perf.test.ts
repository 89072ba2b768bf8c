import { it } from "vitest";
import { call, adminHeaders } from "./fixtures.js";

it("perf", { timeout: 120_000 }, async () => {
  const kinds: [string, () => Promise<Response>][] = [
    ["health", () => call("/v1/health")],
    ["badjson-feedback", () => call("/v1/feedback", { method: "POST", headers: { "content-type": "application/json" }, body: "{" })],
    ["badjson-admin", () => call("/v1/admin/channels/stable", { method: "POST", headers: adminHeaders({ "content-type": "application/json" }), body: "{" })],
  ];
  for (const [name, fn] of kinds) {
    for (let round = 0; round < 4; round++) {
      const t0 = Date.now();
      const rs = await Promise.all(Array.from({ length: 50 }, fn));
      for (const r of rs) await r.text();
      console.log(name, round, Date.now() - t0);
    }
  }
});
