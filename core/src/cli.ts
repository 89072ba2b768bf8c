import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";

/**
 * The one way a pifu command (training's and the API's) ends on failure: "COMMAND: message" on stderr, exit code 1, no stack
 * trace, since bad input (a missing folder, a typo in --config) is the common case.
 * PIFU_DEBUG=1 prints the stack too, for a bug report.
 */
export function runMain(command: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    // The stack first: the message stays the last line, which a parent process reports (student/run-child.ts).
    if (process.env.PIFU_DEBUG) console.error(error);
    console.error(`${command}: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}

/** Whether the module at `moduleUrl` (its import.meta.url) is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return moduleUrl === pathToFileURL(realpathSync(script)).href;
  } catch {
    // argv[1] is not a file (node -e with arguments, say): this module was imported, not started.
    return false;
  }
}
