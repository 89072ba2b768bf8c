// Browser tests drive Debian's Chromium; install it from apt on a fresh machine (needs root or sudo).
import { execSync } from "node:child_process";
import { existsSync } from "node:fs";

const CHROMIUM = process.env.PIFU_CHROMIUM ?? "/usr/bin/chromium";

if (existsSync(CHROMIUM)) process.exit(0);
console.log(`[pifu] ${CHROMIUM} not found: installing Debian's chromium with apt-get`);
const sudo = process.getuid?.() === 0 ? "" : "sudo ";
try {
  execSync(`${sudo}apt-get update -qq && ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium`, {
    stdio: "inherit",
  });
} catch {
  console.error(`[pifu] could not install chromium; install it (apt-get install chromium) or set PIFU_CHROMIUM`);
  process.exit(1);
}
