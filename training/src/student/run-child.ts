/** Runs a worker script in a child Node process, its stdout logged and its failure passed up as one line. */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { basename } from "node:path";
import { createInterface } from "node:readline";

/**
 * `node SCRIPT ARGS` (under tsx's loader when this process runs under tsx). Resolves when it exits 0;
 * else rejects with its last stderr line (its "COMMAND: message"), or its exit code when it printed none.
 * Every earlier stderr line is passed on as it comes; the last is held back so that a failure is
 * reported once, as the error, not also printed.
 */
export async function runChild(script: string, args: readonly string[], log: (line: string) => void): Promise<void> {
  const child = spawn(process.execPath, [...process.execArgv, script, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  createInterface({ input: child.stdout }).on("line", (line) => {
    if (line.trim()) log(`  ${line}`);
  });
  let lastLine: string | undefined;
  const stderr = createInterface({ input: child.stderr }).on("line", (line) => {
    if (!line.trim()) return;
    if (lastLine !== undefined) process.stderr.write(`${lastLine}\n`);
    lastLine = line;
  });
  const [[code, signal]] = await Promise.all([
    once(child, "close") as Promise<[number | null, NodeJS.Signals | null]>,
    once(stderr, "close"),
  ]);
  if (code === 0) {
    if (lastLine !== undefined) process.stderr.write(`${lastLine}\n`);
    return;
  }
  throw new Error(lastLine ?? `${basename(script)} exited with ${code ?? signal}`);
}
