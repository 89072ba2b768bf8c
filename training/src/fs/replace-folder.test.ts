import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  assertReplaceable,
  checkInputsOutside,
  isWithin,
  replacedFolders,
  replaceFolder,
  settledFolder,
  swapIn,
} from "./replace-folder.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "pifu-replace-"));
});
afterEach(() => rm(root, { recursive: true, force: true }));

const writeOne = (name: string, text: string) => (partial: string) => writeFile(join(partial, name), text);

describe("replaceFolder", () => {
  it("swaps the new contents in and leaves no working folders behind", async () => {
    const dir = join(root, "out");
    await replaceFolder(dir, writeOne("a.txt", "first"));
    await replaceFolder(dir, writeOne("b.txt", "second"));
    expect(await readdir(dir)).toEqual(["b.txt"]);
    expect(await readdir(root)).toEqual(["out"]);
  });

  it("keeps the old folder untouched when writing the new one fails", async () => {
    const dir = join(root, "out");
    await replaceFolder(dir, writeOne("a.txt", "first"));
    const failing = replaceFolder(dir, async (partial) => {
      await writeFile(join(partial, "half.txt"), "…");
      throw new Error("disk full");
    });
    await expect(failing).rejects.toThrow("disk full");
    expect(await readFile(join(dir, "a.txt"), "utf8")).toBe("first");
    expect(await readdir(root)).toEqual(["out"]);
  });

  it("puts back the copy a killed replace left at DIR.previous before replacing again, so a failure then loses nothing", async () => {
    const dir = join(root, "out");
    await mkdir(`${dir}.previous`);
    await writeFile(join(`${dir}.previous`, "a.txt"), "only copy");
    const failing = replaceFolder(dir, () => Promise.reject(new Error("killed again")));
    await expect(failing).rejects.toThrow("killed again");
    expect(await readFile(join(dir, "a.txt"), "utf8")).toBe("only copy");
    expect(await readdir(root)).toEqual(["out"]);
  });

  it("keeps its working copies beside DIR when given DIR/ (a shell completes folders with a slash)", async () => {
    const dir = join(root, "out");
    await replaceFolder(`${dir}/`, writeOne("a.txt", "first"));
    await replaceFolder(`${dir}/`, writeOne("b.txt", "second"));
    expect(await readdir(dir)).toEqual(["b.txt"]);
    expect(await readdir(root)).toEqual(["out"]);
    expect(replacedFolders(`${dir}/`).slice(1)).toEqual([`${dir}.partial`, `${dir}.previous`]);
  });

  it("settledFolder finds the previous copy a kill between the two renames left", async () => {
    const dir = join(root, "ckpt");
    expect(settledFolder(dir)).toBe(dir);
    await mkdir(`${dir}.previous`);
    expect(settledFolder(dir)).toBe(`${dir}.previous`);
    await mkdir(dir);
    expect(settledFolder(dir)).toBe(dir);
  });
});

describe("swapIn", () => {
  it("puts the new folder at DIR, the old one (and a stale DIR.previous) deleted after, or at DIR when there was none", async () => {
    const dir = join(root, "out");
    await mkdir(join(root, "new1"));
    await writeFile(join(root, "new1", "a.txt"), "first");
    await swapIn(join(root, "new1"), dir);
    expect(await readdir(root)).toEqual(["out"]);
    await mkdir(join(root, "new2"));
    await writeFile(join(root, "new2", "b.txt"), "second");
    await mkdir(`${dir}.previous`);
    await swapIn(join(root, "new2"), `${dir}/`);
    expect(await readdir(dir)).toEqual(["b.txt"]);
    expect(await readdir(root)).toEqual(["out"]);
  });
});

describe("checkInputsOutside", () => {
  it("names which of DIR, DIR.partial and DIR.previous holds an input", () => {
    const out = join(root, "out");
    const check =
      (path: string, given = out) =>
      () =>
        checkInputsOutside(given, [{ flag: "--data", path }]);
    expect(check(join(root, "val"))).not.toThrow();
    expect(check(join(root, "out.partialx"))).not.toThrow();
    expect(check(join(out, "val"))).toThrow(
      `--out ${out} holds --data ${join(out, "val")}: choose an --out outside it`,
    );
    expect(check(out, `${out}/`)).toThrow(`--out ${out}/ holds --data ${out}: choose an --out outside it`);
    // An --out inside an input is for the caller to refuse (or allow).
    expect(check(root)).not.toThrow();
    for (const suffix of [".partial", ".previous"]) {
      const folder = `${out}${suffix}`;
      expect(check(join(folder, "val"))).toThrow(
        `--out ${out} uses the working folder ${folder} (deleted or renamed as --out is written), which holds --data ${join(folder, "val")}: choose an --out outside it`,
      );
      // Given as `out/.`, the working folders are still named as paths.
      expect(check(folder, `${out}/.`)).toThrow(`--out ${out}/. uses the working folder ${folder} (`);
    }
  });
});

describe("assertReplaceable", () => {
  it("allows a missing, empty or marked folder and refuses anything else", async () => {
    expect(() => assertReplaceable(join(root, "missing"), "model-card.json")).not.toThrow();
    await mkdir(join(root, "empty"));
    expect(() => assertReplaceable(join(root, "empty"), "model-card.json")).not.toThrow();
    await mkdir(join(root, "model"));
    await writeFile(join(root, "model", "model-card.json"), "{}");
    expect(() => assertReplaceable(join(root, "model"), "model-card.json")).not.toThrow();
    await mkdir(join(root, "photos"));
    await writeFile(join(root, "photos", "a.jpg"), "");
    expect(() => assertReplaceable(join(root, "photos"), "model-card.json")).toThrow(/has no model-card.json/);
    await writeFile(join(root, "file"), "");
    expect(() => assertReplaceable(join(root, "file"), "model-card.json")).toThrow(/is a file/);
    expect(existsSync(join(root, "photos", "a.jpg"))).toBe(true);
  });
});

describe("isWithin", () => {
  it("tells a folder and what lies inside it from its neighbours", () => {
    expect(isWithin("/a/b", "/a/b/")).toBe(true);
    expect(isWithin("/a/b/c/d", "/a/b")).toBe(true);
    expect(isWithin("/a/b.partial", "/a/b")).toBe(false);
    expect(isWithin("/a", "/a/b")).toBe(false);
    expect(isWithin("/a/b/..c", "/a/b")).toBe(true);
  });
});
