import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { isMain, runMain } from "./cli.js";

/** Runs `main` through runMain; the lines it printed and the exit code it set. */
async function ending(main: () => Promise<void>) {
  const printed: unknown[] = [];
  const spy = vi.spyOn(console, "error").mockImplementation((line: unknown) => printed.push(line));
  runMain("demo", main);
  await new Promise((resolve) => setTimeout(resolve, 0));
  spy.mockRestore();
  const code = process.exitCode;
  process.exitCode = undefined;
  return { printed, code };
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("runMain", () => {
  it("prints a failure as one line naming the command, without the stack, and sets exit code 1", async () => {
    vi.stubEnv("PIFU_DEBUG", "");
    const { printed, code } = await ending(() => Promise.reject(new Error("no such folder /x")));
    expect(printed).toEqual(["demo: no such folder /x"]);
    expect(code).toBe(1);
  });

  it("adds the error itself, stack included, before the message line when PIFU_DEBUG is set", async () => {
    vi.stubEnv("PIFU_DEBUG", "1");
    const error = new Error("boom");
    const { printed, code } = await ending(() => Promise.reject(error));
    expect(printed).toEqual([error, "demo: boom"]);
    expect(code).toBe(1);
  });

  it("leaves the exit code alone when main succeeds", async () => {
    const { printed, code } = await ending(async () => {});
    expect(printed).toEqual([]);
    expect(code).toBeUndefined();
  });
});

describe("isMain", () => {
  it("recognises the started script in a folder whose name has a space", async () => {
    const folder = await mkdtemp(join(tmpdir(), "pifu main "));
    const script = join(folder, "cli.ts");
    await writeFile(script, "");
    const argv = process.argv;
    process.argv = [argv[0] ?? "node", script];
    try {
      expect(isMain(pathToFileURL(script).href)).toBe(true);
      expect(isMain(pathToFileURL(join(folder, "other.ts")).href)).toBe(false);
      process.argv = [argv[0] ?? "node", join(folder, "not-a-file")];
      expect(isMain(pathToFileURL(script).href)).toBe(false);
    } finally {
      process.argv = argv;
      await rm(folder, { recursive: true, force: true });
    }
  });
});
