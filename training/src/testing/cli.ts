/** Runs the training package's scripts in tests the way `npm run` does: under tsx, from the repository root. */
import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const TSX = join(ROOT, "node_modules/.bin/tsx");
const run = promisify(execFile);
// A student run's log (every epoch of every stage) outgrows execFile's 1 MB default.
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `training/src/SCRIPT` run with `args`: its exit code and output, also when it fails. */
export function runScript(script: string, args: readonly string[]): Promise<CliResult> {
  return run(TSX, [join(ROOT, "training/src", script), ...args], { cwd: ROOT, maxBuffer: MAX_OUTPUT_BYTES }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: CliResult) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

/** The CLI `training/src/cli/NAME.ts` run with `args`, as `runScript`. */
export const runCli = (name: string, args: readonly string[]): Promise<CliResult> => runScript(`cli/${name}.ts`, args);

/** `runScript` for a run that must succeed: its stdout, or an error carrying the script's stderr. */
export async function runScriptOk(script: string, args: readonly string[]): Promise<string> {
  const { code, stdout, stderr } = await runScript(script, args);
  if (code !== 0) throw new Error(`${script} exited with ${code}:\n${stderr}`);
  return stdout;
}
