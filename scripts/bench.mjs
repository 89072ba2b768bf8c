// `npm run bench` runs every part's benchmark in turn; `npm run bench -- <part> [args]` runs one.
// Each bench/<part>.ts prints one JSON object on stdout and writes it to bench/results/<part>.json.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const parts = ["training", "api", "pwa"];
const [part, ...args] = process.argv.slice(2);
if (part && !parts.includes(part)) {
  console.error(`usage: npm run bench [-- <${parts.join("|")}> [options]]`);
  process.exit(2);
}

/** Runs one part's benchmark; its exit status. */
function bench(name, options) {
  const script = `bench/${name}.ts`;
  if (!existsSync(script)) {
    console.error(`no benchmark for ${name} yet (${script} is missing)`);
    return 2;
  }
  console.error(`[bench] ${name}`);
  return spawnSync("npx", ["tsx", script, ...options], { stdio: "inherit" }).status ?? 1;
}

if (part) process.exit(bench(part, args));
const failed = parts.filter((name) => bench(name, []) !== 0);
if (failed.length > 0) console.error(`[bench] failed: ${failed.join(", ")}`);
process.exit(failed.length > 0 ? 1 : 0);
