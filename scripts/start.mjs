// `npm start`: installs dependencies when node_modules is missing, then runs pwa/build/start.ts, which
// builds the PWA, starts the API locally with the default model on the stable channel and serves both.
import { execSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
if (!existsSync(resolve(root, "node_modules"))) {
  console.log("[pifu] node_modules is missing: running npm ci");
  execSync("npm ci", { cwd: root, stdio: "inherit" });
}
for (const [key, value] of Object.entries({
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  WRANGLER_HIDE_BANNER: "true",
})) {
  process.env[key] ??= value;
}
const { tsImport } = await import("tsx/esm/api");
const { start } = await tsImport("../pwa/build/start.ts", import.meta.url);
await start();
