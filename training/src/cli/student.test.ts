import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend/index.js";
import { runCli } from "../testing/cli.js";
import { writeMobilenetNamedBackbone } from "../testing/fixtures.js";

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
      // A run that fails leaves no output folder behind, finished or not.
      expect(existsSync(at("out"))).toBe(false);
      expect(existsSync(at("out.partial"))).toBe(false);
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

describe("npm run student: --out is checked before any work", { timeout: 120_000 }, () => {
  beforeAll(async () => {
    await initBackend("wasm");
  });

  /**
   * Two class folders of listed, never decoded photos and a tiny backbone (no ../shared): a run that
   * got past its --out check would go on to cache them (creating --cache) and fail there, or train.
   */
  async function setUp() {
    const dir = await mkdtemp(join(tmpdir(), "pifu-student-out-"));
    const at = (...parts: string[]) => join(dir, ...parts);
    for (const folder of ["train/acne_rosacea", "train/eczema", "val/acne_rosacea", "val/eczema"]) {
      await mkdir(at(folder), { recursive: true });
      await writeFile(at(folder, "a.png"), "");
    }
    const backbone = await writeMobilenetNamedBackbone(at("backbone"), 32);
    const run = (out: string, ...flags: string[]) =>
      runCli("student", [
        `--data=${at("train")}`,
        `--val=${at("val")}`,
        `--out=${out}`,
        `--cache=${at("cache")}`,
        `--backbone=${backbone}`,
        "--input-size=32",
        "--teacher-backbone=none",
        "--backend=wasm",
        ...flags,
      ]);
    return { dir, at, run };
  }

  /** Every file under `dir` with its text, to show a refused run changed nothing. */
  async function snapshot(dir: string): Promise<Record<string, string>> {
    const files = await readdir(dir, { recursive: true, withFileTypes: true });
    const entries = await Promise.all(
      files
        .filter((f) => f.isFile())
        .map(async (f) => [join(f.parentPath, f.name), await readFile(join(f.parentPath, f.name), "utf8")] as const),
    );
    return Object.fromEntries(entries);
  }

  it("refuses an --out that holds a run, whatever the seed, before caching or training anything", async () => {
    const { dir, at, run } = await setUp();
    try {
      const out = at("s1");
      await mkdir(join(out, "model"), { recursive: true });
      await mkdir(join(out, "quantization", "float32"), { recursive: true });
      await writeFile(join(out, "summary.json"), JSON.stringify({ config: { seed: 9 } }));
      await writeFile(join(out, "model", "model-card.json"), JSON.stringify({ training: { seed: 9 } }));
      const before = await snapshot(out);
      const { code, stderr } = await run(out, "--seed=11");
      expect(code).toBe(1);
      expect(stderr.trim()).toBe(
        `student: --out ${out} already holds a student run (summary.json, model/, quantization/): choose another --out, delete that folder, or pass --overwrite to replace it once the new run is complete`,
      );
      expect(await snapshot(out)).toEqual(before);
      expect(existsSync(at("cache"))).toBe(false);
      expect(existsSync(`${out}.partial`)).toBe(false);

      // --overwrite lets it start; the run fails (these photos do not decode), and the old run stays whole.
      const replacing = await run(out, "--seed=11", "--overwrite");
      expect(replacing.code).toBe(1);
      expect(replacing.stderr).not.toMatch(/--out/);
      expect(existsSync(at("cache"))).toBe(true);
      expect(await snapshot(out)).toEqual(before);
      expect(existsSync(`${out}.partial`)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses an --out holding only part of a run, such as the log or the logits of a killed one", async () => {
    const { dir, at, run } = await setUp();
    try {
      const out = at("s2");
      await mkdir(out);
      await writeFile(join(out, "log.txt"), "[12:00:00] exported float16\n");
      const { code, stderr } = await run(out);
      expect(code).toBe(1);
      expect(stderr.trim()).toMatch(
        /^student: --out .*s2 already holds a student run \(log\.txt\): choose another --out/,
      );
      expect(existsSync(at("cache"))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses an --out that is a file, or a folder of something else, at once", async () => {
    const { dir, at, run } = await setUp();
    try {
      const file = at("notes.txt");
      await writeFile(file, "keep me");
      const asFile = await run(file);
      expect(asFile.code).toBe(1);
      expect(asFile.stderr.trim()).toBe(`student: --out ${file} is a file, not a folder: choose another --out`);
      expect(await readFile(file, "utf8")).toBe("keep me");

      // A model/ that is not a model folder, or anything else: never written into, even with --overwrite.
      const other = at("other");
      await mkdir(join(other, "model"), { recursive: true });
      await writeFile(join(other, "model", "weights.bin"), "not ours");
      await writeFile(join(other, "photo.jpg"), "not ours");
      for (const flags of [[], ["--overwrite"]]) {
        const refused = await run(other, ...flags);
        expect(refused.code).toBe(1);
        expect(refused.stderr.trim()).toMatch(
          /^student: --out .*other is not empty and is not a finished student run \(no summary\.json\): choose another --out \(a new or empty folder\)$/,
        );
      }
      expect(await readFile(join(other, "model", "weights.bin"), "utf8")).toBe("not ours");
      expect(existsSync(at("cache"))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses the unfinished run of a killed (or running) student beside --out, and an --out among the inputs", async () => {
    const { dir, at, run } = await setUp();
    try {
      const out = at("s3");
      await mkdir(join(`${out}.partial`, "model"), { recursive: true });
      const killed = await run(out);
      expect(killed.code).toBe(1);
      expect(killed.stderr.trim()).toBe(
        `student: --out ${out}: ${out}.partial holds an unfinished student run (killed, or still running): delete it once no run writes there, or choose another --out`,
      );
      expect(existsSync(join(`${out}.partial`, "model"))).toBe(true);
      expect(existsSync(out)).toBe(false);

      const inVal = await run(at("val", "run"));
      expect(inVal.stderr.trim()).toBe(
        `student: --out ${at("val", "run")} is inside --val ${at("val")}; choose a folder outside it`,
      );
      const holdsCache = await run(at("new"), `--cache=${at("new", "cache")}`);
      expect(holdsCache.stderr.trim()).toBe(
        `student: --out ${at("new")} holds --cache ${at("new", "cache")}: choose an --out outside it`,
      );
      expect(existsSync(at("cache"))).toBe(false);
      expect(existsSync(at("new"))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
