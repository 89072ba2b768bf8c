import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { prepareOutputFile } from "./output-file.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "pifu-output-file-"));
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe("prepareOutputFile", () => {
  it("refuses a file inside an input or a folder, and makes the folder of any other", async () => {
    const model = join(root, "model");
    const inputs = [
      { flag: "--model", path: model },
      { flag: "--ood", path: undefined },
    ];
    await expect(prepareOutputFile("--json", join(model, "model-card.json"), inputs)).rejects.toThrow(
      `--json ${join(model, "model-card.json")} is inside --model ${model}; write it elsewhere so no input is overwritten`,
    );
    await mkdir(join(root, "taken"));
    await expect(prepareOutputFile("--json", join(root, "taken"), inputs)).rejects.toThrow(
      `--json ${join(root, "taken")} is a folder; name a file`,
    );
    await writeFile(join(root, "file"), "");
    await expect(prepareOutputFile("--json", join(root, "file", "r.json"), inputs)).rejects.toThrow(
      `cannot create the folder of --json ${join(root, "file", "r.json")}: `,
    );
    await prepareOutputFile("--json", join(root, "new", "folder", "r.json"), inputs);
    expect(existsSync(join(root, "new", "folder"))).toBe(true);
    expect(existsSync(model)).toBe(false);
  });
});
