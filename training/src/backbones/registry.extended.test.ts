/** Uses ../shared/backbones and skin8 images: the registry's backbones load, hash and embed. */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hasShared, sharedDir } from "../../../vitest.shared.js";
import { initBackend } from "../backend/index.js";
import { readDataset } from "../data/index.js";
import { embedJobs, fileDigests, plainJobs } from "../features/index.js";
import { resolveBackbone } from "./registry.js";

describe.skipIf(!hasShared)("registry backbones on skin8 (needs ../shared)", () => {
  it.each([
    ["mobilenet_v2_0.35", 1280],
    ["darknet_tiny", 512],
  ])(
    "%s embeds real images to %i-d features",
    async (name, dim) => {
      await initBackend("wasm");
      const items = (await readDataset(join(sharedDir, "data/skin8/val"))).items.slice(0, 4);
      const digests = await fileDigests(items.map((i) => i.path));
      const jobs = plainJobs(items.map((item, i) => ({ path: item.path, sha256: digests[i] as string })));
      const out = await embedJobs(resolveBackbone(name).spec, jobs, { workers: 0, cacheDir: false, backend: "wasm" });
      expect(out.dim).toBe(dim);
      expect(out.failed).toEqual([]);
      expect(out.backboneSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(out.features.some((v) => v > 0)).toBe(true);
    },
    120_000,
  );
});
if (!hasShared) console.warn(`skipping registry backbone tests: ${sharedDir}/data/skin8 is absent`);
