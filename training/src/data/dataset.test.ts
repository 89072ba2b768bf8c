import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeSyntheticSet } from "../testing/fixtures.js";
import { listImageFiles, readDataset } from "./dataset.js";
import { DecodeError, decodeImage } from "./decode.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pifu-data-"));
  await writeSyntheticSet(join(dir, "skin"), {
    classes: ["warts", "eczema"],
    perClass: [3, 2],
    sources: ["clinic-a", "clinic-b"],
    broken: true,
  });
  await writeSyntheticSet(join(dir, "other"), { classes: ["zebra", "apple"], perClass: [1, 1] });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("readDataset", () => {
  it("orders skin8 folders by the core list and reads manifest sources", async () => {
    const ds = await readDataset(join(dir, "skin"));
    expect(ds.classOrigin).toBe("skin8");
    expect(ds.classes).toEqual(["eczema", "warts"]);
    const wart = ds.items.find((i) => i.id === "warts-0");
    expect(wart).toMatchObject({ label: 1, classId: "warts", source: "clinic-a" });
    expect(ds.skipped.map((s) => s.path)).toEqual([join(dir, "skin", "warts", "notes.txt")]);
  });

  it("sorts unknown folder names, or follows a labels file", async () => {
    expect((await readDataset(join(dir, "other"))).classes).toEqual(["apple", "zebra"]);
    await writeFile(join(dir, "labels.txt"), "zebra\napple\n");
    const ds = await readDataset(join(dir, "other"), { labelsFile: join(dir, "labels.txt") });
    expect(ds.classOrigin).toBe("labels-file");
    expect(ds.classes).toEqual(["zebra", "apple"]);
  });

  it("follows links to class folders and to images, and skips a link to nothing", async () => {
    const linked = join(dir, "linked");
    await mkdir(join(linked, "eczema"), { recursive: true });
    await symlink(join(dir, "skin", "warts"), join(linked, "warts"));
    await symlink(join(dir, "skin", "eczema", "eczema-1.jpg"), join(linked, "eczema", "one.jpg"));
    await symlink(join(dir, "nowhere.jpg"), join(linked, "eczema", "gone.jpg"));
    const ds = await readDataset(linked);
    expect(ds.classes).toEqual(["eczema", "warts"]);
    expect(ds.items.filter((i) => i.classId === "warts")).toHaveLength(5);
    expect(ds.items.filter((i) => i.classId === "eczema").map((i) => i.id)).toEqual(["one"]);
    expect(ds.skipped).toContainEqual({ path: join(linked, "eczema", "gone.jpg"), reason: "a link to nothing" });
  });

  it("refuses a class folder without images, so no class is trained or scored on nothing", async () => {
    const root = join(dir, "with-empty");
    await mkdir(join(root, "eczema"), { recursive: true });
    await mkdir(join(root, "psoriasis"), { recursive: true });
    await writeFile(join(root, "psoriasis", "notes.txt"), "no photos yet");
    await writeFile(join(root, "eczema", "a.jpg"), "");
    await expect(readDataset(root)).rejects.toThrow(/class folder\(s\) psoriasis .* hold no images/);
  });

  it("rejects folders outside a given class list with the valid names", async () => {
    await expect(readDataset(join(dir, "other"), { classes: ["apple"] })).rejects.toThrow(/zebra.*apple/);
    await expect(
      readDataset(join(dir, "other"), { classes: ["apple"], classesFrom: "the model card" }),
    ).rejects.toThrow(/folders .*zebra.* in .*other are not among the classes of the model card: apple$/);
  });
});

describe("listImageFiles", () => {
  it("walks nested and linked folders in path order, skipping links to nothing, other files and loops", async () => {
    const ood = join(dir, "ood");
    await mkdir(join(ood, "nested", "deeper"), { recursive: true });
    await symlink(join(dir, "skin", "eczema"), join(ood, "linked-eczema"));
    const wart = (await readDataset(join(dir, "skin"))).items.find((i) => i.classId === "warts");
    await symlink(wart?.path as string, join(ood, "nested", "deeper", "w.jpg"));
    await symlink(join(dir, "nowhere.jpg"), join(ood, "gone.jpg"));
    await symlink(ood, join(ood, "nested", "back-up"));
    await writeFile(join(ood, "nested", "README.md"), "photos of other conditions");

    const { paths, skipped } = await listImageFiles(ood);
    const eczema = (await readDataset(join(dir, "skin"))).items.filter((i) => i.classId === "eczema");
    expect(paths).toEqual([
      ...eczema.map((i) => join(ood, "linked-eczema", i.path.split("/").pop() as string)),
      join(ood, "nested", "deeper", "w.jpg"),
    ]);
    expect(skipped).toEqual([
      { path: join(ood, "gone.jpg"), reason: "a link to nothing" },
      { path: join(ood, "nested", "README.md"), reason: 'unsupported file type ".md"' },
      { path: join(ood, "nested", "back-up"), reason: "a folder already read (a link back into the tree)" },
    ]);
  });

  it("names a missing folder", async () => {
    await expect(listImageFiles(join(dir, "no-such-folder"))).rejects.toThrow(/no-such-folder is not a folder/);
  });
});

describe("decodeImage", () => {
  it("decodes real images to RGB", async () => {
    const image = await decodeImage(join(dir, "skin", "warts", "warts-0.png"));
    expect(image).toMatchObject({ width: 32, height: 32, channels: 3 });
    expect(image.data.length).toBe(32 * 32 * 3);
  });

  it("throws DecodeError for corrupt and truncated files", async () => {
    await expect(decodeImage(join(dir, "skin", "warts", "corrupt.jpg"))).rejects.toBeInstanceOf(DecodeError);
    await expect(decodeImage(join(dir, "skin", "warts", "truncated.jpg"))).rejects.toBeInstanceOf(DecodeError);
    await expect(decodeImage(join(dir, "skin", "missing.jpg"))).rejects.toThrow(/missing\.jpg/);
  });
});
