import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../testing/cli.js";

/** The CLI's exit code and stderr; the folders do not exist, so a run that got past its checks would fail later. */
const student = (...flags: string[]) =>
  runCli("student", ["--data=/nonexistent/train", "--val=/nonexistent/val", "--out=/nonexistent/out", ...flags]);

// Each case starts the CLI under tsx (a few seconds idle, over 15 s on a busy 2-core machine).
describe("npm run student: fine-tuning flags", { timeout: 90_000 }, () => {
  it("refuses the input cut without --finetune-images before anything is trained", async () => {
    const { code, stderr } = await student("--finetune-epochs=2", "--finetune-cut=input", "--no-finetune-images");
    expect(code).toBe(1);
    expect(stderr).toMatch(/student: the "input" cut trains the whole backbone and needs --finetune-images/);
  });

  it("refuses cached draws beside fresh ones", async () => {
    const { code, stderr } = await student("--finetune-epochs=2", "--finetune-images", "--finetune-augmented-views=4");
    expect(code).toBe(1);
    expect(stderr).toMatch(/with --finetune-images every step draws fresh ones/);
  });

  it("refuses mixing cached activations and names the mix modes", async () => {
    const cached = await student("--finetune-mix=cutmix", "--no-finetune-images");
    expect(cached.code).toBe(1);
    expect(cached.stderr).toMatch(/--finetune-mix mixes photos, so it needs --finetune-images/);
    const unknown = await student("--finetune-mix=blend");
    expect(unknown.stderr).toMatch(/Allowed choices are none, mixup, cutmix/);
  });

  it("names the valid backends", async () => {
    const { code, stderr } = await student("--backend=tpu");
    expect(code).toBe(1);
    expect(stderr).toMatch(/Allowed choices are auto, node-gpu, node, wasm, cpu/);
  });
});

describe("npm run student: --config", { timeout: 90_000 }, () => {
  it("refuses an unknown field, such as the teacherBackbone of configs written before teacherBackbones", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pifu-student-config-"));
    try {
      const renamed = join(dir, "renamed.json");
      await writeFile(renamed, JSON.stringify({ seed: 3, teacherBackbone: "../shared/backbones/darknet_tiny_224" }));
      const { code, stderr } = await student(`--config=${renamed}`);
      expect(code).toBe(1);
      expect(stderr).toMatch(/--config .*renamed\.json: unknown field\(s\) teacherBackbone; known: .*teacherBackbones/);
      const broken = join(dir, "broken.json");
      await writeFile(broken, "{ seed: 3");
      const notJson = await student(`--config=${broken}`);
      expect(notJson.stderr).toMatch(/--config .*broken\.json: .*JSON/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("npm run student: bad input is refused in one line before any work", { timeout: 90_000 }, () => {
  it("names a settings flag that is out of range before reading the data or caching anything", async () => {
    const { code, stderr } = await student("--coverage=85");
    expect(code).toBe(1);
    expect(stderr.trim()).toBe("student: --coverage must be a share in (0, 1], got 85");
  });

  it("names a --data or --val folder that is missing or holds a folder that is not a skin8 class", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pifu-student-data-"));
    const at = (...parts: string[]) => join(dir, ...parts);
    const run = (data: string, val: string) =>
      runCli("student", [
        `--data=${data}`,
        `--val=${val}`,
        `--out=${at("out")}`,
        `--cache=${at("cache")}`,
        "--teacher-backbone=none",
        "--backend=wasm",
      ]);
    try {
      for (const folder of ["train/acne_rosacea", "train/eczema", "val/eczema", "val/zebra"]) {
        await mkdir(at(folder), { recursive: true });
        // Listed, never decoded: the check reads the folders only.
        await writeFile(at(folder, "a.png"), "");
      }
      const missing = await run(at("nope"), at("val"));
      expect(missing.code).toBe(1);
      expect(missing.stderr.trim()).toBe(`student: --data: ${at("nope")} is not a folder`);
      const stray = await run(at("train"), at("val"));
      expect(stray.code).toBe(1);
      const [line, ...more] = stray.stderr.trim().split("\n");
      expect(more).toEqual([]);
      expect(line).toMatch(/^student: --val: folders zebra in .* are not among the classes of skin8: acne_rosacea, /);
      expect(line).toContain(at("val"));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
