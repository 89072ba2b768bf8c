import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeFileAtomic, writeFileAtomicSync } from "./write-atomic.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pifu-write-atomic-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("writeFileAtomicSync", () => {
  it("replaces the file whole, making its folder, and leaves no working copy", async () => {
    const path = join(dir, "new", "result.json");
    writeFileAtomicSync(path, "first");
    writeFileAtomicSync(path, "second");
    expect(await readFile(path, "utf8")).toBe("second");
    expect(await readdir(join(dir, "new"))).toEqual(["result.json"]);
  });

  it("keeps what was there and removes its working copy when the rename fails", async () => {
    const path = join(dir, "taken");
    await mkdir(path);
    await writeFile(join(path, "kept.txt"), "kept");
    expect(() => writeFileAtomicSync(path, "new")).toThrow();
    expect(await readFile(join(path, "kept.txt"), "utf8")).toBe("kept");
    expect(await readdir(dir)).toEqual(["taken"]);
  });

  it("writes the same way asynchronously", async () => {
    const path = join(dir, "entry.f32");
    await writeFileAtomic(path, new Float32Array([1, 2]));
    expect(new Float32Array((await readFile(path)).buffer.slice(0))).toEqual(new Float32Array([1, 2]));
    const taken = join(dir, "taken");
    await mkdir(taken);
    await expect(writeFileAtomic(taken, "new")).rejects.toThrow();
    expect((await readdir(dir)).sort()).toEqual(["entry.f32", "taken"]);
  });
});
