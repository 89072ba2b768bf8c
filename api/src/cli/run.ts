/** Runs a CLI action: a CliError becomes one clear line on stderr and exit code 1. */
import { CliError } from "./api-client.js";

export async function runCli(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    const message = error instanceof CliError ? error.message : `unexpected error: ${String(error)}`;
    console.error(`error: ${message}`);
    process.exitCode = 1;
  }
}

export function tokenFrom(option: string | undefined): string {
  const token = option ?? process.env.PIFU_ADMIN_TOKEN;
  if (!token) throw new CliError("an admin token is required: pass --token or set PIFU_ADMIN_TOKEN");
  return token;
}
