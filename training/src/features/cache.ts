/**
 * On-disk feature cache: DIR/<backbone key>/<2 hex>/<job cache key>.f32 holding the feature vector
 * followed by λ. The backbone key covers the weights' sha256, the cut layer and the preprocessing,
 * so a changed backbone never reads stale features.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { BackboneSpec } from "../backbones/index.js";

export const DEFAULT_CACHE_DIR = ".cache/features";

export function backboneCacheKey(backboneSha256: string, spec: BackboneSpec): string {
  return createHash("sha256")
    .update(
      `${backboneSha256}|${spec.layer ?? ""}|${JSON.stringify(spec.preprocess)}${spec.pool === "none" ? "|map" : ""}`,
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

  async put(key: string, features: Float32Array, lambda: number): Promise<void> {
    const path = this.pathFor(key);
    await mkdir(dirname(path), { recursive: true });
    const all = new Float32Array(this.dim + 1);
    all.set(features);
    all[this.dim] = lambda;
    // Write then rename so a killed run never leaves a half-written entry.
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, all);
    await rename(tmp, path);
  }
}
