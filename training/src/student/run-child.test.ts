import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lastLineHeld, runChild } from "./run-child.js";

describe("lastLineHeld", () => {
  it("writes every line but the last, across chunks that split lines, and returns the last", () => {
    const written: string[] = [];
    const lines = lastLineHeld((line) => written.push(line));
    lines.push("warning: a\nwarn");
    lines.push("ing: b\n\n");
    lines.push("worker: it failed");
    expect(written).toEqual(["warning: a"]);
    expect(lines.end()).toBe("worker: it failed");
    expect(written).toEqual(["warning: a", "warning: b"]);
  });

  it("returns nothing when nothing was printed", () => {
    expect(lastLineHeld(() => {}).end()).toBeUndefined();
  });
});

describe("runChild", () => {
  let dir: string;
  const script = async (name: string, body: string) => {
    const path = join(dir, name);
    await writeFile(path, body);
    return path;
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "pifu-run-child-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("logs stdout and resolves when the child exits 0", async () => {
    const logged: string[] = [];
    await runChild(await script("ok.mjs", 'console.log("1/2");console.log("2/2");'), [], (l) => logged.push(l));
    expect(logged).toEqual(["  1/2", "  2/2"]);
  });

  it("rejects with the child's last stderr line, its runMain message, not its exit code", async () => {
    const failing = await script(
      "fail.mjs",
      'console.error("a warning");console.error("worker: --data /x is not a folder");process.exit(1);',
    );
    await expect(runChild(failing, [], () => {})).rejects.toThrow(/^worker: --data \/x is not a folder$/);
  });

  it("names the script and its exit code when the child printed nothing", async () => {
    await expect(runChild(await script("silent.mjs", "process.exit(7);"), [], () => {})).rejects.toThrow(
      "silent.mjs exited with 7",
    );
  });
});
