/**
 * On-disk feature cache: DIR/<backbone key>/<2 hex>/<job cache key>.f32 holding the feature vector
 * followed by λ. The backbone key covers the weights' sha256, the cut layer, the preprocessing and
 * the extractor rewrite (FOLD_VERSION), so a changed backbone or a changed way of computing its
 * features never reads stale entries.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { BackboneSpec } from "../backbones/index.js";
import { writeFileAtomic } from "../fs/write-atomic.js";

export const DEFAULT_CACHE_DIR = ".cache/features";

/**
 * How extractors are computed (backbones/fold-batchnorm.ts). Folded features differ from unfolded
 * ones by float rounding, so entries from before folding live under other keys and are never mixed in.
 */
export const FOLD_VERSION = "fold-bn-fused-1";

export function backboneCacheKey(backboneSha256: string, spec: BackboneSpec): string {
  return createHash("sha256")
    .update(
      `${backboneSha256}|${spec.layer ?? ""}|${JSON.stringify(spec.preprocess)}${spec.pool === "none" ? "|map" : ""}|${FOLD_VERSION}`,
    )
    .digest("hex")
    .slice(0, 24);
}

export class FeatureCache {
  constructor(
    readonly dir: string,
    readonly backboneKey: string,
    readonly dim: number,
  ) {}

  private pathFor(key: string): string {
    return join(this.dir, this.backboneKey, key.slice(0, 2), `${key}.f32`);
  }

  async get(key: string): Promise<{ features: Float32Array; lambda: number } | undefined> {
    const path = this.pathFor(key);
    if (!existsSync(path)) return undefined;
    const bytes = await readFile(path);
    if (bytes.byteLength !== (this.dim + 1) * 4) return undefined;
    const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    return { features: all.subarray(0, this.dim), lambda: all[this.dim] as number };
  }

  private readonly madeDirs = new Set<string>();

  async put(key: string, features: Float32Array, lambda: number): Promise<void> {
    const path = this.pathFor(key);
    const dir = dirname(path);
    if (!this.madeDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.madeDirs.add(dir);
    }
    const all = new Float32Array(this.dim + 1);
    all.set(features);
    all[this.dim] = lambda;
    await writeFileAtomic(path, all);
  }
}

/**
 * Files that failed to decode, remembered by content (sha256) under DIR/undecodable/, whatever the
 * backbone: a rerun reports them again with the same reason without decoding them again.
 */
export class DecodeFailureCache {
  constructor(readonly dir: string) {}

  private pathFor(sha256: string): string {
    return join(this.dir, "undecodable", sha256.slice(0, 2), `${sha256}.json`);
  }

  async get(sha256: string): Promise<string | undefined> {
    const path = this.pathFor(sha256);
    if (!existsSync(path)) return undefined;
    try {
      const reason = (JSON.parse(await readFile(path, "utf8")) as { reason?: unknown }).reason;
      return typeof reason === "string" ? reason : undefined;
    } catch {
      return undefined;
    }
  }

  async put(sha256: string, reason: string): Promise<void> {
    const path = this.pathFor(sha256);
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, JSON.stringify({ reason }));
  }
}
