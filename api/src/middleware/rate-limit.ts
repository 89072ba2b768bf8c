/**
 * Per-client fixed-window rate limit backed by a D1 counter table, so it works the same in local
 * workerd and in production without Durable Objects. The client is CF-Connecting-IP (an IPv6 client
 * by its /64, client-address.ts), stored only as a salted hash, and a window's rows are deleted once
 * it has passed.
 */
import { sha256Hex } from "@pifu/core";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv, Bindings } from "../env.js";
import { ApiError } from "../errors.js";
import { rateLimitSubject } from "./client-address.js";

export interface RateLimitOptions {
  limit: number;
  windowSeconds: number;
}

const defaults: RateLimitOptions = { limit: 120, windowSeconds: 60 };

function positiveInt(value: string | undefined): number | undefined {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export function rateLimitOptions(env: Bindings): RateLimitOptions {
  return {
    limit: positiveInt(env.FEEDBACK_RATE_LIMIT) ?? defaults.limit,
    windowSeconds: positiveInt(env.FEEDBACK_RATE_WINDOW_SECONDS) ?? defaults.windowSeconds,
  } satisfies RateLimitOptions;
}

let isolateSalt: string | undefined;

/**
 * IP_HASH_SALT, or without it a random salt of this isolate (with a warning): the stored hashes stay
 * irreversible either way (an unsalted hash of an IPv4 address is undone by hashing all 2^32), and
 * only the limit weakens, to one count per isolate instead of one per deployment.
 */
function ipSalt(env: Bindings): string {
  if (env.IP_HASH_SALT) return env.IP_HASH_SALT;
  if (isolateSalt === undefined) {
    console.warn("IP_HASH_SALT is not set: rate-limit counters use a random salt per isolate");
    isolateSalt = crypto.randomUUID();
  }
  return isolateSalt;
}

/** What the counter table stores for a client: SHA-256 of the salt and its address (an IPv6 address's /64), hex. */
export function clientKey(env: Bindings, ip: string): Promise<string> {
  return sha256Hex(new TextEncoder().encode(`${ipSalt(env)}|${rateLimitSubject(ip)}`));
}

/** The counter a request falls into. */
export interface RateWindow extends RateLimitOptions {
  /** clientKey of CF-Connecting-IP, never the address itself. */
  client: string;
  windowStart: number;
  retryAfter: number;
}

export async function rateWindow(c: Context<AppEnv>): Promise<RateWindow> {
  const options = rateLimitOptions(c.env);
  const nowSeconds = Math.floor(Date.now() / 1000);
  const windowStart = nowSeconds - (nowSeconds % options.windowSeconds);
  return {
    ...options,
    client: await clientKey(c.env, c.req.header("cf-connecting-ip") ?? "unknown"),
    windowStart,
    retryAfter: windowStart + options.windowSeconds - nowSeconds,
  };
}

/** Counts one request; `RETURNING count` gives the count including it. */
export function countStatement(db: D1Database, w: RateWindow): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO rate_limits (client, window_start, count) VALUES (?1, ?2, 1)
       ON CONFLICT (client, window_start) DO UPDATE SET count = count + 1
       RETURNING count`,
    )
    .bind(w.client, w.windowStart);
}

export function rateLimited(w: RateWindow): ApiError {
  return new ApiError(
    429,
    "rate_limited",
    `too many feedback requests: at most ${w.limit} per ${w.windowSeconds} s; retry in ${w.retryAfter} s`,
    { "retry-after": String(w.retryAfter) },
  );
}

/**
 * After counting: 429 when over the limit. A client's first request of a window drops every client's
 * past windows, so the table holds little more than the current window.
 */
export function checkCount(c: Context<AppEnv>, w: RateWindow, count: number): void {
  if (count === 1) {
    const cleanup = c.env.DB.prepare("DELETE FROM rate_limits WHERE window_start < ?1").bind(w.windowStart).run();
    c.executionCtx.waitUntil(cleanup);
  }
  if (count > w.limit) throw rateLimited(w);
}

/** Counts the request before anything else (one D1 round trip) and answers 429 past the limit. */
export function feedbackRateLimit(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const w = await rateWindow(c);
    const row = await countStatement(c.env.DB, w).first<{ count: number }>();
    checkCount(c, w, row?.count ?? 1);
    await next();
  };
}
