/**
 * Per-client fixed-window rate limit backed by a D1 counter table, so it works the same in local
 * workerd and in production without Durable Objects. The client is CF-Connecting-IP.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.js";
import { ApiError } from "../errors.js";

export interface RateLimitOptions {
  limit: number;
  windowSeconds: number;
}

const defaults: RateLimitOptions = { limit: 120, windowSeconds: 60 };

function positiveInt(value: string | undefined): number | undefined {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export function rateLimitOptions(env: AppEnv["Bindings"]): RateLimitOptions {
  return {
    limit: positiveInt(env.FEEDBACK_RATE_LIMIT) ?? defaults.limit,
    windowSeconds: positiveInt(env.FEEDBACK_RATE_WINDOW_SECONDS) ?? defaults.windowSeconds,
  } satisfies RateLimitOptions;
}

export function feedbackRateLimit(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { limit, windowSeconds } = rateLimitOptions(c.env);
    const client = c.req.header("cf-connecting-ip") ?? "unknown";
    const nowSeconds = Math.floor(Date.now() / 1000);
    const windowStart = nowSeconds - (nowSeconds % windowSeconds);
    const row = await c.env.DB.prepare(
      `INSERT INTO rate_limits (client, window_start, count) VALUES (?1, ?2, 1)
       ON CONFLICT (client, window_start) DO UPDATE SET count = count + 1
       RETURNING count`,
    )
      .bind(client, windowStart)
      .first<{ count: number }>();
    const count = row?.count ?? 1;
    if (count === 1) {
      // First request of a new window for this client: drop its older windows.
      const cleanup = c.env.DB.prepare("DELETE FROM rate_limits WHERE client = ?1 AND window_start < ?2")
        .bind(client, windowStart)
        .run();
      c.executionCtx.waitUntil(cleanup);
    }
    if (count > limit) {
      const retryAfter = windowStart + windowSeconds - nowSeconds;
      throw new ApiError(
        429,
        "rate_limited",
        `too many feedback requests: at most ${limit} per ${windowSeconds} s; retry in ${retryAfter} s`,
        { "retry-after": String(retryAfter) },
      );
    }
    await next();
  };
}
