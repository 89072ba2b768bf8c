// Browser tests drive Debian's Chromium; install it from apt on a fresh machine (needs root or sudo).
import { execSync } from "node:child_process";
import { existsSync } from "node:fs";

const CHOSEN = process.env.PIFU_CHROMIUM;
const CHROMIUM = CHOSEN ?? "/usr/bin/chromium";

if (existsSync(CHROMIUM)) process.exit(0);
if (CHOSEN) {
  // Installing Debian's package would not put a browser at a path the user chose.
  console.error(`[pifu] PIFU_CHROMIUM=${CHOSEN} does not exist; point it at a Chromium binary or unset it`);
  process.exit(1);
}
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
