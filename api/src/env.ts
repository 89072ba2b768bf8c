/** The Worker's bindings, as configured in the root wrangler.toml. */
export interface Bindings {
  DB: D1Database;
  MODELS: R2Bucket;
  /** Comma-separated origins allowed by CORS; "*" allows any. */
  ALLOWED_ORIGINS: string;
  /** Comma-separated sha256 hex of the admin bearer tokens. */
  ADMIN_TOKEN_HASHES: string;
  /** Feedback requests allowed per client and window (default 120). */
  FEEDBACK_RATE_LIMIT?: string;
  /** Length of the rate-limit window in seconds (default 60). */
  FEEDBACK_RATE_WINDOW_SECONDS?: string;
}

export interface AppEnv {
  Bindings: Bindings;
}
