import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runChild } from "./run-child.js";

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

  it("reads the last line whole when the child writes it in pieces, and passes earlier lines on", async () => {
    const failing = await script(
      "pieces.mjs",
      'process.stderr.write("a warn");setTimeout(()=>{process.stderr.write("ing\\nworker: it ");setTimeout(()=>{process.stderr.write("failed\\n\\n");process.exitCode=1;},50);},50);',
    );
    const passedOn: string[] = [];
    const write = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => passedOn.push(String(chunk)) > 0);
    try {
      await expect(runChild(failing, [], () => {})).rejects.toThrow(/^worker: it failed$/);
    } finally {
      write.mockRestore();
    }
    expect(passedOn).toContain("a warning\n");
    expect(passedOn.join("")).not.toContain("it failed");
  });

  it("names the script and its exit code when the child printed nothing", async () => {
    await expect(runChild(await script("silent.mjs", "process.exit(7);"), [], () => {})).rejects.toThrow(
      "silent.mjs exited with 7",
    );
  });
});
