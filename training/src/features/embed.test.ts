/** Failed decodes are remembered in the feature cache: a rerun lists them again without decoding them. */
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveBackbone } from "../backbones/index.js";
import { initBackend } from "../backend/index.js";
import { readDataset } from "../data/index.js";
import { writeSyntheticSet, writeTinyBackbone } from "../testing/fixtures.js";
import { DecodeFailureCache } from "./cache.js";
import { embedJobs } from "./embed.js";
import { fileDigests, type ImageRef, mixJobs, plainJobs } from "./jobs.js";

let dir: string;
let refs: ImageRef[];
const spec = () => resolveBackbone(join(dir, "backbone"), { range: [0, 1], inputSize: 16 }).spec;

beforeAll(async () => {
  await initBackend("wasm");
  dir = await mkdtemp(join(tmpdir(), "pifu-embed-"));
  await writeSyntheticSet(join(dir, "set"), { classes: ["eczema", "warts"], perClass: [3, 2], broken: true });
  await writeTinyBackbone(join(dir, "backbone"));
  const items = (await readDataset(join(dir, "set"))).items;
  const digests = await fileDigests(items.map((i) => i.path));
  refs = items.map((item, i) => ({ path: item.path, sha256: digests[i] as string }));
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("embedJobs and undecodable files", () => {
  it("remembers failed decodes by digest, so a rerun reports them without decoding them", async () => {
    const cacheDir = join(dir, "cache");
    const first = await embedJobs(spec(), plainJobs(refs), { workers: 0, cacheDir, backend: "wasm" });
    const names = (out: typeof first) => out.failed.map((f) => basename(f.path)).sort();
    expect(names(first)).toEqual(["corrupt.jpg", "truncated.jpg"]);
    expect(first.rememberedFailures).toBe(0);
    const corrupt = refs.find((r) => r.path.endsWith("corrupt.jpg")) as ImageRef;
    expect(await new DecodeFailureCache(cacheDir).get(corrupt.sha256)).toMatch(/./);

    const second = await embedJobs(spec(), plainJobs(refs), { workers: 0, cacheDir, backend: "wasm" });
    expect(second.rememberedFailures).toBe(2);
    expect(second.cached).toBe(refs.length - 2);
    expect(second.failed).toEqual(first.failed);
    expect(second.features).toEqual(first.features);
  }, 60_000);

  it("recognises the same bytes under another name and as a mix partner", async () => {
    const cacheDir = join(dir, "cache");
    const corrupt = refs.find((r) => r.path.endsWith("corrupt.jpg")) as ImageRef;
    const copy = join(dir, "renamed.jpg");
    await copyFile(corrupt.path, copy);
    const renamed = await embedJobs(spec(), plainJobs([{ path: copy, sha256: corrupt.sha256 }]), {
      workers: 0,
      cacheDir,
      backend: "wasm",
    });
    expect(renamed.rememberedFailures).toBe(1);
    expect(renamed.failed[0]?.reason).toMatch(new RegExp(`^${copy}: `));

    const good = refs.filter((r) => r !== corrupt).slice(0, 2);
    // Seed 4 pairs both good images with the corrupt one as partner (and the corrupt one with a good one).
    const { jobs } = mixJobs([...good, corrupt], "cutmix", 1, undefined, 4, 0);
    const badPartner = jobs.filter((j) => j.mix?.partnerPath === corrupt.path && j.path !== corrupt.path);
    expect(badPartner).toHaveLength(2);
    const out = await embedJobs(spec(), jobs, { workers: 0, cacheDir: join(dir, "cache-mix"), backend: "wasm" });
    const withBadPartner = 3;
    expect(out.failed).toHaveLength(withBadPartner);
    expect(out.failed.every((f) => f.reason.startsWith(`${corrupt.path}: `))).toBe(true);
    const rerun = await embedJobs(spec(), jobs, { workers: 0, cacheDir: join(dir, "cache-mix"), backend: "wasm" });
    expect(rerun.rememberedFailures).toBe(withBadPartner);
    expect(rerun.failed).toEqual(out.failed);
  }, 60_000);
});
