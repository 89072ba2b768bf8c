/** Runs a worker script in a child Node process, its stdout logged and its failure passed up as one line. */
import { spawn } from "node:child_process";
import { basename } from "node:path";
import { createInterface } from "node:readline";

/**
 * Passes text on line by line to `write`, holding back the latest non-empty line: a script that ends
 * through runMain prints its failure as its last line, which becomes the parent's error instead of
 * being printed twice.
 */
export function lastLineHeld(write: (line: string) => void) {
  let partial = "";
  let held: string | undefined;
  const take = (line: string) => {
    if (!line.trim()) return;
    if (held !== undefined) write(held);
    held = line;
  };
  return {
    push(text: string): void {
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) take(line);
    },
    /** The last line, now that the text is complete; every earlier one has been written. */
    end(): string | undefined {
      take(partial);
      partial = "";
      return held;
    },
  };
}

/**
 * `node SCRIPT ARGS` (under tsx's loader when this process runs under tsx). Resolves when it exits 0;
 * else rejects with its last stderr line (its "COMMAND: message"), or its exit code when it printed none.
 */
export function runChild(script: string, args: readonly string[], log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, script, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (line.trim()) log(`  ${line}`);
    });
    const stderr = lastLineHeld((line) => process.stderr.write(`${line}\n`));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => stderr.push(chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const last = stderr.end();
      if (code === 0) {
        if (last !== undefined) process.stderr.write(`${last}\n`);
        resolve();
      } else reject(new Error(last ?? `${basename(script)} exited with ${code ?? signal}`));
    });
  });
}
