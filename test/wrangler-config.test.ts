/**
 * The repository's wrangler.toml is what `wrangler deploy` ships: its [vars] must hold no secret
 * (no admin token hash, no IP salt), while local runs still get the development values from .dev.vars.
 * Read with wrangler's own config reader, so the check sees exactly what wrangler deploys.
 */
import { sha256Hex } from "@pifu/core";
import { describe, expect, it } from "vitest";
import { unstable_getVarsForDev, unstable_readConfig } from "wrangler";
import { DEV_ADMIN_TOKEN, WRANGLER_CONFIG } from "../api/src/dev/local-api.js";

const SECRETS = ["ADMIN_TOKEN_HASHES", "IP_HASH_SALT"];

describe("wrangler.toml", () => {
  const config = unstable_readConfig({ config: WRANGLER_CONFIG }, { hideWarnings: true });

  it("deploys no admin token hash or other secret in [vars]", () => {
    for (const name of SECRETS) expect(config.vars, name).not.toHaveProperty(name);
    for (const [name, value] of Object.entries(config.vars)) {
      expect(JSON.stringify(value), `${name} looks like a sha256 hash`).not.toMatch(/[0-9a-f]{64}/i);
    }
  });

  it("gives local runs the development token and salt through .dev.vars", async () => {
    const local = unstable_getVarsForDev(config.configPath, undefined, config.vars, undefined, true);
    const devTokenHash = await sha256Hex(new TextEncoder().encode(DEV_ADMIN_TOKEN));
    expect(local.ADMIN_TOKEN_HASHES).toMatchObject({ value: devTokenHash });
    expect(local.IP_HASH_SALT).toMatchObject({ value: expect.stringMatching(/.+/) });
  });
});
