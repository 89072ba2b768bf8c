// `npm run bench -- <part> [args]`: runs bench/<part>.ts, which prints one JSON object on stdout
// and writes it to bench/results/<part>.json.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const parts = ["training", "api", "pwa"];
const [part, ...args] = process.argv.slice(2);
if (!part || !parts.includes(part)) {
  console.error(`usage: npm run bench -- <${parts.join("|")}> [options]`);
  process.exit(2);
}
const script = `bench/${part}.ts`;
if (!existsSync(script)) {
  console.error(`no benchmark for ${part} yet (${script} is missing)`);
  process.exit(2);
}
const result = spawnSync("npx", ["tsx", script, ...args], { stdio: "inherit" });
process.exit(result.status ?? 1);
