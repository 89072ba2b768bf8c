/** CORS limited to the origins in ALLOWED_ORIGINS ("*" allows any). */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "../env.js";

export function allowedOrigins(setting: string | undefined): string[] {
  return (setting ?? "")
    .split(",")
    .map((o) => o.trim().replace(/\/+$/, ""))
    .filter((o) => o !== "");
}

export function corsFromEnv(): MiddlewareHandler<AppEnv> {
  return cors({
    origin: (origin, c) => {
      const allowed = allowedOrigins((c.env as AppEnv["Bindings"]).ALLOWED_ORIGINS);
      if (allowed.includes("*")) return origin || "*";
      return allowed.includes(origin) ? origin : null;
    },
    allowMethods: ["GET", "HEAD", "POST", "PUT", "OPTIONS"],
    allowHeaders: ["Content-Type", "Authorization", "If-None-Match"],
    exposeHeaders: ["ETag", "Retry-After", "Content-Length", "X-Content-SHA256", "X-Pifu-Model-Version"],
    maxAge: 86400,
  });
}
