import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256Hex } from "@pifu/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readModelArtifacts } from "../backbones/load.js";
import { initBackend } from "../backend/index.js";
import { writeTinyBackbone } from "../testing/fixtures.js";
import { hasCachedLayers } from "./cache-store.js";
import {
  backboneMismatch,
  type CacheNeeds,
  cacheJobs,
  checkRunFolders,
  dropStaleSplits,
  missingJobs,
  staleReason,
} from "./ensure-cache.js";

let cache: string;

/** An index file as cache-activations.ts writes it (the .f32 files do not matter here). */
async function index(split: string, file: string, layers: string[]) {
  await mkdir(join(cache, split), { recursive: true });
  const shapes = Object.fromEntries(layers.map((layer) => [layer, [1]]));
  await writeFile(join(cache, split, file), JSON.stringify({ shapes, variants: ["id"], images: [] }));
}

const needs: CacheNeeds = {
  train: "/data/train",
  val: "/data/val",
  backbone: "/backbones/mnv2",
  inputSize: 224,
  teacherBackbones: [],
  augmented: { views: 0, preset: "strong" },
  finetune: { cut: "block_9_add", augmentedViews: 8 },
};

beforeAll(async () => {
  cache = await mkdtemp(join(tmpdir(), "pifu-ensure-cache-"));
});
afterAll(() => rm(cache, { recursive: true, force: true }));

describe("cacheJobs", () => {
  it("caches a fine-tuning cut other than the default one, and its augmented draws, under the cut's tag", () => {
    const jobs = cacheJobs(needs).map(({ split, outputs, views, tag }) => ({ split, outputs, views, tag }));
    expect(jobs).toEqual([
      { split: "mnv2-224-train", outputs: ["block_15_add:raw", "out_relu:gap"], views: ["--variants=id,h,v,hv"] },
      { split: "mnv2-224-train", outputs: ["block_9_add:raw"], views: ["--variants=id,h,v,hv"], tag: "block_9_add" },
      { split: "mnv2-224-val", outputs: ["block_15_add:raw", "out_relu:gap"], views: ["--variants=id,h,v,hv"] },
      { split: "mnv2-224-val", outputs: ["block_9_add:raw"], views: ["--variants=id,h,v,hv"], tag: "block_9_add" },
      {
        split: "mnv2-224-train-aug-strong",
        outputs: ["block_9_add:raw"],
        views: ["--augment=8", "--preset=strong"],
        tag: "block_9_add",
      },
    ]);
  });

  it("caches nothing at the cut when the tail fine-tunes on fresh draws of the photos", () => {
    const jobs = cacheJobs({ ...needs, finetune: { cut: "block_9_add", augmentedViews: 0, images: true } });
    expect(jobs.map(({ split, outputs }) => ({ split, outputs }))).toEqual([
      { split: "mnv2-224-train", outputs: ["block_15_add:raw", "out_relu:gap"] },
      { split: "mnv2-224-val", outputs: ["block_15_add:raw", "out_relu:gap"] },
    ]);
  });

  it("adds each teacher backbone and the head's augmented draws, and no cut job for the default cut", () => {
    const jobs = cacheJobs({
      ...needs,
      teacherBackbones: ["darknet_tiny", "nsfwjs_mobilenet_v2"],
      augmented: { views: 4, preset: "mild" },
      finetune: { cut: "block_15_add", augmentedViews: 0 },
    });
    expect(jobs.map((job) => `${job.split} ${job.outputs.join(",")}`)).toEqual([
      "mnv2-224-train block_15_add:raw,out_relu:gap",
      "darknet_tiny-train leaky_re_lu_14:gap",
      "nsfwjs_mobilenet_v2-train out_relu:gap",
      "mnv2-224-val block_15_add:raw,out_relu:gap",
      "darknet_tiny-val leaky_re_lu_14:gap",
      "nsfwjs_mobilenet_v2-val out_relu:gap",
      "mnv2-224-train-aug-mild out_relu:gap",
    ]);
    expect(jobs.find((job) => job.split === "darknet_tiny-train")).toMatchObject({
      backbone: expect.stringMatching(/darknet_tiny_224$/),
      size: 224,
      range: "0,1",
      views: ["--variants=id"],
    });
    expect(jobs.find((job) => job.split === "nsfwjs_mobilenet_v2-val")?.backbone).toBe("npm:nsfwjs/mobilenet_v2");
  });
});

describe("checkRunFolders", () => {
  /** DIR/<class>/a.png for each class (listed, never decoded). */
  async function folder(name: string, classes: string[]): Promise<string> {
    const dir = join(cache, "folders", name);
    for (const c of classes) {
      await mkdir(join(dir, c), { recursive: true });
      await writeFile(join(dir, c, "a.png"), "");
    }
    return dir;
  }

  it("passes folders of skin8 classes whose val classes train has too", async () => {
    const train = await folder("train", ["acne_rosacea", "eczema", "warts"]);
    await expect(checkRunFolders(train, await folder("val", ["eczema", "warts"]))).resolves.toBeUndefined();
  });

  it("names the flag and folder that is missing or holds a folder that is not a skin8 class", async () => {
    const train = await folder("train-two", ["acne_rosacea", "eczema"]);
    const missing = join(cache, "folders", "nope");
    await expect(checkRunFolders(missing, train)).rejects.toThrow(`--data: ${missing} is not a folder`);
    const zebra = await folder("zebra", ["eczema", "zebra"]);
    await expect(checkRunFolders(train, zebra)).rejects.toThrow(
      new RegExp(`^--val: folders zebra in ${zebra} are not among the classes`),
    );
  });

  it("applies the run's class rules: 2 train classes or more, no val class train lacks", async () => {
    const one = await folder("one", ["eczema"]);
    await expect(checkRunFolders(one, one)).rejects.toThrow(/holds photos of 1 class; a model needs 2 or more/);
    const train = await folder("train-two", ["acne_rosacea", "eczema"]);
    await expect(checkRunFolders(train, await folder("val-warts", ["eczema", "warts"]))).rejects.toThrow(
      /val has photos of warts, which train has none of/,
    );
  });
});

describe("missingJobs", () => {
  it("counts a layer as cached only when every worker's shard has it, under whichever tag", async () => {
    await index("mnv2-224-train", "0of2-index.json", ["block_15_add", "out_relu"]);
    await index("mnv2-224-train", "1of2-index.json", ["block_15_add", "out_relu"]);
    await index("mnv2-224-train", "b9-0of2-index.json", ["block_9_add"]);
    expect(await hasCachedLayers(cache, "mnv2-224-train", ["block_15_add", "out_relu"], 2)).toBe(true);
    expect(await hasCachedLayers(cache, "mnv2-224-train", ["block_9_add"], 2)).toBe(false);
    expect(await hasCachedLayers(cache, "mnv2-224-train", ["out_relu"], 3)).toBe(false);
    await index("mnv2-224-train", "b9-1of2-index.json", ["block_9_add"]);

    const missing = await missingJobs(cache, cacheJobs(needs), 2);
    expect(missing.map((job) => `${job.split} ${job.outputs.join(",")}`)).toEqual([
      "mnv2-224-val block_15_add:raw,out_relu:gap",
      "mnv2-224-val block_9_add:raw",
      "mnv2-224-train-aug-strong block_9_add:raw",
    ]);
  });
});

describe("dropStaleSplits", () => {
  let data: string;
  const photo = (name: string) => join(data, "eczema", name);
  /**
   * A two-shard split as cache-activations.ts indexes it: embedded photos with their content hashes
   * (none with `hashed: false`, as caches written before hashes were recorded), and "path: reason"
   * for failures.
   */
  async function cacheOf(
    split: string,
    embedded: string[],
    failed: string[] = [],
    hashed = true,
    failedSha256: Record<string, string> = {},
  ) {
    await mkdir(join(cache, split), { recursive: true });
    const images = await Promise.all(
      embedded.map(async (path) => ({
        id: path,
        path,
        label: "eczema",
        labelIndex: 1,
        ...(hashed && existsSync(path) ? { sha256: await sha256Hex(await readFile(path)) } : {}),
      })),
    );
    for (const [shard, part] of [images.slice(0, 1), images.slice(1)].entries()) {
      const index = {
        shapes: { out_relu: [1] },
        variants: ["id"],
        images: part,
        failed: shard === 0 ? failed : [],
        failedSha256: shard === 0 ? failedSha256 : {},
      };
      await writeFile(join(cache, split, `${shard}of2-index.json`), JSON.stringify(index));
    }
  }

  beforeAll(async () => {
    data = await mkdtemp(join(tmpdir(), "pifu-stale-data-"));
    await mkdir(join(data, "eczema"));
    for (const name of ["a.jpg", "b.jpg", "c.jpg"]) await writeFile(photo(name), "not decoded here");
  });
  afterAll(() => rm(data, { recursive: true, force: true }));

  const job = (split: string) => ({ ...cacheJobs(needs)[0]!, split, data });

  it("keeps a split that covers every photo, counting those that failed to decode", async () => {
    await cacheOf("fresh", [photo("a.jpg"), photo("b.jpg")], [`${photo("c.jpg")}: unsupported image format`]);
    expect(await staleReason(cache, "fresh", data)).toBeNull();
    const lines: string[] = [];
    await dropStaleSplits(cache, [job("fresh")], (line) => lines.push(line));
    expect(lines).toEqual([]);
    expect(existsSync(join(cache, "fresh"))).toBe(true);
  });

  it("drops a split whose folder gained a photo, so that it is embedded again", async () => {
    await cacheOf("gained", [photo("a.jpg"), photo("b.jpg")]);
    expect(await staleReason(cache, "gained", data)).toBe(
      `${data} has 1 photo(s) the cache lacks (${photo("c.jpg")}) and lacks 0 it holds`,
    );
    const lines: string[] = [];
    await dropStaleSplits(cache, [job("gained"), job("gained")], (line) => lines.push(line));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^cache gained is stale: .*embedding it again$/);
    expect(existsSync(join(cache, "gained"))).toBe(false);
    expect(await missingJobs(cache, [job("gained")], 2)).toHaveLength(1);
  });

  it("drops a split that holds photos no longer in the folder (deleted, or moved to another class)", async () => {
    const moved = join(data, "psoriasis", "c.jpg");
    await cacheOf("lost", [photo("a.jpg"), photo("b.jpg"), photo("c.jpg"), moved]);
    expect(await staleReason(cache, "lost", data)).toBe(
      `${data} has 0 photo(s) the cache lacks and lacks 1 it holds (${moved})`,
    );
  });

  it("drops a split one of whose photos was rewritten in place, but not one merely copied anew", async () => {
    await cacheOf("rewritten", [photo("a.jpg"), photo("b.jpg"), photo("c.jpg")]);
    const later = new Date(Date.now() + 60_000);
    for (const name of ["a.jpg", "b.jpg", "c.jpg"]) await utimes(photo(name), later, later);
    expect(await staleReason(cache, "rewritten", data)).toBeNull();
    await writeFile(photo("b.jpg"), "another photo under the same name");
    expect(await staleReason(cache, "rewritten", data)).toBe(
      `${data} has 0 photo(s) the cache lacks and lacks 0 it holds; 1 rewritten since it was cached (${photo("b.jpg")})`,
    );
    await cacheOf("unhashed", [photo("a.jpg"), photo("b.jpg"), photo("c.jpg")], [], false);
    expect(await staleReason(cache, "unhashed", data)).toBeNull();
  });

  it("drops a split when a photo that failed to decode was fixed under the same name", async () => {
    const broken = photo("c.jpg");
    await writeFile(broken, "a photo that did not decode");
    const failure = [`${broken}: unsupported image format`];
    const recorded = { [broken]: await sha256Hex(await readFile(broken)) };
    await cacheOf("failed-once", [photo("a.jpg"), photo("b.jpg")], failure, true, recorded);
    expect(await staleReason(cache, "failed-once", data)).toBeNull();
    await writeFile(broken, "the same photo, fixed");
    expect(await staleReason(cache, "failed-once", data)).toBe(
      `${data} has 0 photo(s) the cache lacks and lacks 0 it holds; 1 rewritten since it was cached (${broken})`,
    );
  });

  it("has nothing to say while nothing is cached", async () => {
    expect(await staleReason(cache, "never-cached", data)).toBeNull();
  });
});

describe("backboneMismatch", () => {
  let backbone: string;
  let sha256: string;
  const shard = async (split: string, backboneSha256?: string) => {
    await mkdir(join(cache, split), { recursive: true });
    const index = {
      shapes: { out_relu: [1] },
      variants: ["id"],
      images: [],
      ...(backboneSha256 ? { backboneSha256 } : {}),
    };
    await writeFile(join(cache, split, "0of1-index.json"), JSON.stringify(index));
  };

  beforeAll(async () => {
    await initBackend("wasm");
    backbone = await writeTinyBackbone(await mkdtemp(join(tmpdir(), "pifu-cache-backbone-")));
    sha256 = (await readModelArtifacts(backbone)).sha256;
  });
  afterAll(() => rm(backbone, { recursive: true, force: true }));

  it("drops a split another backbone embedded, and keeps one this backbone embedded", async () => {
    await shard("same", sha256);
    await shard("other", "f".repeat(64));
    const hash = async () => sha256;
    expect(await backboneMismatch(cache, "same", hash)).toBeNull();
    expect(await backboneMismatch(cache, "other", hash)).toBe(
      `it was embedded by another backbone (sha256 ffffffffffff…, now ${sha256.slice(0, 12)}…)`,
    );
    const lines: string[] = [];
    const job = (split: string) => ({ ...cacheJobs(needs)[0]!, split, backbone, data: cache });
    await dropStaleSplits(cache, [job("other")], (line) => lines.push(line));
    expect(lines).toEqual([
      `cache other is stale: it was embedded by another backbone (sha256 ffffffffffff…, now ${sha256.slice(0, 12)}…); embedding it again`,
    ]);
    expect(existsSync(join(cache, "other"))).toBe(false);
  });

  it("does not read the backbone for a split that recorded no hash, or for nothing cached", async () => {
    await shard("unrecorded");
    const unread = () => Promise.reject(new Error("read the backbone"));
    expect(await backboneMismatch(cache, "unrecorded", unread)).toBeNull();
    expect(await backboneMismatch(cache, "never-cached", unread)).toBeNull();
  });
});
