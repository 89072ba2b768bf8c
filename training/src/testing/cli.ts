/** Runs the training package's CLIs in tests the way `npm run` does: under tsx, from the repository root. */
import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const TSX = join(ROOT, "node_modules/.bin/tsx");
const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `training/src/cli/NAME.ts` run with `args`: its exit code and output, also when it fails. */
export function runCli(name: string, args: readonly string[]): Promise<CliResult> {
  return run(TSX, [join(ROOT, "training/src/cli", `${name}.ts`), ...args], { cwd: ROOT }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: CliResult) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}
