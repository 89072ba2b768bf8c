import { existsSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { isWithin } from "./replace-folder.js";

/**
 * Checks a file a command writes (`flag file`, e.g. `--json FILE`) before any work: never inside a
 * folder it reads (a --json of MODEL/model-card.json would overwrite the card), not a folder, and its
 * folder created now, so a bad path fails in seconds. `inputs` name each folder read, as the message
 * should (a flag such as `--data`, or e.g. `the run folder`).
 */
export async function prepareOutputFile(
  flag: string,
  file: string,
  inputs: readonly { flag: string; path: string | undefined }[],
): Promise<void> {
  for (const input of inputs) {
    if (input.path !== undefined && isWithin(file, input.path))
      throw new Error(
        `${flag} ${file} is inside ${input.flag} ${input.path}; write it elsewhere so no input is overwritten`,
      );
  }
  if (existsSync(file) && statSync(file).isDirectory()) throw new Error(`${flag} ${file} is a folder; name a file`);
  try {
    await mkdir(dirname(file), { recursive: true });
  } catch (error) {
    throw new Error(`cannot create the folder of ${flag} ${file}: ${(error as Error).message}`);
  }
}
