import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../testing/cli.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pifu-train-cli-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

// Each case starts a CLI under tsx (a few seconds idle, over 15 s on a busy 2-core machine).
describe("npm run train / ablation: bad input", { timeout: 90_000 }, () => {
  it("is refused with one line naming the file and the field, not a stack trace", async () => {
    const typo = join(dir, "typo.json");
    await writeFile(typo, JSON.stringify({ epochs: 3, learningRte: 0.1 }));
    for (const command of ["train", "ablation"]) {
      const { code, stderr } = await runCli(command, ["--data=/nonexistent", "--out=/nonexistent", `--config=${typo}`]);
      expect(code).toBe(1);
      expect(stderr).toMatch(new RegExp(`^${command}: --config .*typo\\.json: unknown field\\(s\\) learningRte`, "m"));
      expect(stderr).not.toMatch(/\n\s+at /);
    }
  });

  it("names the ablation's rows when --only or --skip names one that does not exist", async () => {
    const { code, stderr } = await runCli("ablation", ["--data=/nonexistent", "--out=/nonexistent", "--only=linear"]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^ablation: no row linear; the rows: .*methods-baseline/m);
  });
});
