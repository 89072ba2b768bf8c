/**
 * Admin authentication: the sha256 of the bearer token is compared in constant time against every
 * configured hash (ADMIN_TOKEN_HASHES), so neither the token nor the match position leaks by timing.
 * With no hash configured (the repository's wrangler.toml deploys none) every admin request is refused.
 */
import { sha256Hex } from "@pifu/core";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.js";
import { ApiError } from "../errors.js";

const encoder = new TextEncoder();

export function configuredHashes(setting: string | undefined): string[] {
  return (setting ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter((h) => /^[0-9a-f]{64}$/.test(h));
}

function equalInConstantTime(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  if (x.byteLength !== y.byteLength) return false;
  const subtle = crypto.subtle as SubtleCrypto & {
    timingSafeEqual?: (a: ArrayBufferView, b: ArrayBufferView) => boolean;
  };
  if (subtle.timingSafeEqual) return subtle.timingSafeEqual(x, y);
  let diff = 0;
  for (let i = 0; i < x.byteLength; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const refuse = (message: string) =>
      new ApiError(401, "unauthorized", message, { "www-authenticate": 'Bearer realm="pifu-admin"' });
    const hashes = configuredHashes(c.env.ADMIN_TOKEN_HASHES);
    if (hashes.length === 0) {
      throw refuse(
        "admin access is disabled: this deployment has no ADMIN_TOKEN_HASHES; set one with `wrangler secret put ADMIN_TOKEN_HASHES`",
      );
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
    const unauthorized = refuse("a valid admin bearer token is required");
    if (!match?.[1]) throw unauthorized;
    const presented = await sha256Hex(encoder.encode(match[1]));
    let ok = false;
    for (const hash of hashes) {
      // No early exit: every configured hash is compared.
      ok = equalInConstantTime(presented, hash) || ok;
    }
    if (!ok) throw unauthorized;
    await next();
  };
}
