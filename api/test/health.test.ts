import { describe, expect, it } from "vitest";
import { worker } from "./fixtures.js";

describe("health", () => {
  it("answers ok from workerd", async () => {
    const res = await worker.fetch("http://api.test/v1/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });
});
