import { SKIN8_CLASS_IDS } from "@pifu/core";
import { describe, expect, it } from "vitest";
import { runCli } from "../testing/cli.js";

describe("npm run ood-proxy", () => {
  it("names the valid classes when --held-out lists one skin8 does not have, before loading anything", async () => {
    const { code, stderr } = await runCli("ood-proxy", ["--held-out", "eczema, zebra", "--cache", "/nonexistent"]);
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(`ood-proxy: --held-out: unknown class "zebra"; valid: ${SKIN8_CLASS_IDS.join(", ")}`);
  }, 60_000);

  it("refuses a --coverage that is not a share before training any fold", async () => {
    const { code, stderr } = await runCli("ood-proxy", ["--coverage", "85", "--cache", "/nonexistent"]);
    expect(code).toBe(1);
    expect(stderr.trim()).toBe("ood-proxy: --coverage must be a share in (0, 1], got 85");
  }, 60_000);
});
