/**
 * Starts the API locally under workerd (wrangler's startWorker) on 127.0.0.1, with D1 migrations
 * applied to the local persistence folder first. Used by `npm start`, the cross-part tests, the
 * PWA's end-to-end tests and the benchmark.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { D1Database } from "@cloudflare/workers-types";
import { sha256Hex } from "@pifu/core";
import { getPlatformProxy, unstable_startWorker } from "wrangler";
import { applyMigrations } from "./migrations.js";

export interface LocalApiOptions {
  /** Port on 127.0.0.1; 0 or absent picks a free one. */
  port?: number;
  /** Where D1 and R2 data live; absent: a fresh temporary folder, removed by stop(). */
  persistDir?: string;
  /** Admin bearer token accepted by this instance (default pifu-local-dev-token). */
  adminToken?: string;
  /** CORS origins (default: those in wrangler.toml). */
  allowedOrigins?: string[];
  /** Feedback requests per client and minute (default: wrangler.toml's FEEDBACK_RATE_LIMIT). */
  feedbackRateLimit?: number;
}

export interface LocalApi {
  url: string;
  adminToken: string;
  stop(): Promise<void>;
}

export const DEV_ADMIN_TOKEN = "pifu-local-dev-token";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const WRANGLER_CONFIG = join(repoRoot, "wrangler.toml");
const MIGRATIONS_DIR = join(repoRoot, "api/migrations");

const quietWrangler = {
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  WRANGLER_HIDE_BANNER: "true",
};

async function migrate(persistDir: string): Promise<void> {
  const proxy = await getPlatformProxy<{ DB: D1Database }>({
    configPath: WRANGLER_CONFIG,
    // startWorker keeps its data under <persist>/v3; getPlatformProxy takes that folder itself.
    persist: { path: join(persistDir, "v3") },
    remoteBindings: false,
    envFiles: [],
  });
  try {
    await applyMigrations(proxy.env.DB, MIGRATIONS_DIR);
  } finally {
    await proxy.dispose();
  }
}

export async function startLocalApi(options: LocalApiOptions = {}): Promise<LocalApi> {
  for (const [key, value] of Object.entries(quietWrangler)) process.env[key] ??= value;
  const temporary = options.persistDir === undefined;
  const persistDir = options.persistDir ?? (await mkdtemp(join(tmpdir(), "pifu-api-")));
  const adminToken = options.adminToken ?? DEV_ADMIN_TOKEN;
  await migrate(persistDir);

  // wrangler.toml deploys no admin hash: this instance's comes from here and takes precedence over the
  // root .dev.vars, which supplies IP_HASH_SALT (`envFiles: []` still reads .dev.vars, never .env).
  const vars: Record<string, string> = {
    ADMIN_TOKEN_HASHES: await sha256Hex(new TextEncoder().encode(adminToken)),
  };
  if (options.allowedOrigins) vars.ALLOWED_ORIGINS = options.allowedOrigins.join(",");
  if (options.feedbackRateLimit) vars.FEEDBACK_RATE_LIMIT = String(options.feedbackRateLimit);

  const worker = await unstable_startWorker({
    config: WRANGLER_CONFIG,
    envFiles: [],
    bindings: Object.fromEntries(Object.entries(vars).map(([k, value]) => [k, { type: "plain_text", value }])),
    dev: {
      server: { hostname: "127.0.0.1", port: options.port ?? 0 },
      persist: persistDir,
      inspector: false,
      watch: false,
      logLevel: "warn",
      remote: false,
    },
  });
  try {
    await worker.ready;
    const url = (await worker.url).origin;
    return {
      url,
      adminToken,
      stop: async () => {
        await worker.dispose();
        if (temporary) await rm(persistDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await worker.dispose();
    throw error;
  }
}
