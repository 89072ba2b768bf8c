import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";

/**
 * The one way a training CLI ends on failure: "COMMAND: message" on stderr, exit code 1, no stack
 * trace, since bad input (a missing folder, a typo in --config) is the common case.
 * PIFU_DEBUG=1 prints the stack too, for a bug report.
 */
export function runMain(command: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(`${command}: ${error instanceof Error ? error.message : String(error)}`);
    if (process.env.PIFU_DEBUG) console.error(error);
    process.exitCode = 1;
  });
}

/** Whether the module at `moduleUrl` (its import.meta.url) is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && moduleUrl === pathToFileURL(realpathSync(script)).href;
}
