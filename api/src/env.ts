/**
 * The Worker's bindings: the root wrangler.toml's, plus the secrets ADMIN_TOKEN_HASHES and
 * IP_HASH_SALT (`wrangler secret put`; .dev.vars for local runs).
 */
export interface Bindings {
  DB: D1Database;
  MODELS: R2Bucket;
  /** Comma-separated origins allowed by CORS; "*" allows any. */
  ALLOWED_ORIGINS: string;
  /** Secret: comma-separated sha256 hex of the admin bearer tokens; none configured: admin routes are off. */
  ADMIN_TOKEN_HASHES?: string;
  /** Secret: salt of the client-IP hashes the feedback rate limit stores (see middleware/rate-limit.ts). */
  IP_HASH_SALT?: string;
  /** Feedback requests allowed per client and window (default 120). */
  FEEDBACK_RATE_LIMIT?: string;
  /** Length of the rate-limit window in seconds (default 60). */
  FEEDBACK_RATE_WINDOW_SECONDS?: string;
}

export interface AppEnv {
  Bindings: Bindings;
}
