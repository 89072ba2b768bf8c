/**
 * `npm start` after dependencies are in place: builds the PWA, starts the API locally, publishes the
 * embedded model and puts it on the stable channel (ensure-on-stable.ts), serves the app and the API on one
 * origin, and shuts everything down on Ctrl-C.
 */
import { resolve } from "node:path";
import { build } from "vite";
import { startLocalApi } from "../../api/src/dev/local-api.js";
import { DEFAULT_MODEL_DIR, PWA_ROOT, pwaConfig } from "./config.js";
import { ensureOnStable } from "./ensure-on-stable.js";
import { servePwa } from "./serve.js";

const log = (message: string) => console.log(`[pifu] ${message}`);

export async function start(): Promise<void> {
  const modelDir = resolve(process.env.PIFU_MODEL_DIR ?? DEFAULT_MODEL_DIR);
  const outDir = resolve(PWA_ROOT, "dist");
  log(`building the PWA with the model in ${modelDir}…`);
  await build(pwaConfig({ modelDir, outDir }));
  log("starting the API (workerd, local D1 and R2)…");
  const api = await startLocalApi({
    port: Number(process.env.PIFU_API_PORT ?? 0),
    persistDir: resolve(PWA_ROOT, "../.wrangler/pifu-start"),
  });
  let app: Awaited<ReturnType<typeof servePwa>> | undefined;
  const stop = async (code: number) => {
    log("shutting down…");
    await app?.close().catch(() => {});
    await api.stop().catch(() => {});
    process.exit(code);
  };
  // Prepended: wrangler registers its own exit handlers, which would otherwise run first and exit.
  process.prependOnceListener("SIGINT", () => void stop(0));
  process.prependOnceListener("SIGTERM", () => void stop(0));
  try {
    await ensureOnStable(api.url, api.adminToken, modelDir, log);
    app = await servePwa({
      distDir: outDir,
      apiUrl: api.url,
      port: Number(process.env.PORT ?? 5173),
      host: process.env.HOST ?? "127.0.0.1",
    });
  } catch (error) {
    console.error(`[pifu] ${(error as Error).message}`);
    await stop(1);
    return;
  }
  log(`API: ${api.url} (admin token: ${api.adminToken})`);
  log(`open the app: ${app.url}  (Ctrl-C stops)`);
}
