/** Reads the activations written by cache-activations.ts back, merging its shards. */
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { FlipVariant } from "@pifu/core";
import { concatFloat32 } from "../data/float32.js";

/**
 * A cached view of an image: one of the contract's flips, or the n-th random augmentation draw
 * (`cache-activations.ts --augment`).
 */
export type ViewName = FlipVariant | `aug${number}`;

export interface CachedImage {
  id: string;
  path: string;
  label: string;
  labelIndex: number;
  source?: string;
  /** The photo's content hash when it was embedded (absent in caches written before it was recorded). */
  sha256?: string;
}

export interface CachedSplit {
  images: CachedImage[];
  /** Row shape of this layer's activations ([C] for pooled, [H, W, C] for raw). */
  shape: number[];
  /** Variant → row-major activations [images, ...shape]. */
  variants: Map<ViewName, Float32Array>;
}

interface ShardIndex {
  spec?: { inputSize: number };
  /** The backbone's sha256 (as loadLayersModelFrom hashes it); absent in caches written before it was recorded. */
  backboneSha256?: string;
  images: (CachedImage & { classId?: string; label: string | number })[];
  /** "path: reason" for each photo that did not decode. */
  failed?: string[];
  /** Path → content hash of each failed photo that could be read (absent in older caches). */
  failedSha256?: Record<string, string>;
  shapes: Record<string, number[]>;
  variants: ViewName[];
}

/** `inputSize`, when given, must be the size the shards were cached at. */
export async function readCachedSplit(
  cacheDir: string,
  split: string,
  layer: string,
  inputSize?: number,
): Promise<CachedSplit> {
  const dir = join(cacheDir, split);
  if (!existsSync(dir)) throw new Error(`no cached activations in ${dir}; run student/cache-activations.ts first`);
  const indexes = await shardIndexes(dir);
  const shards: { prefix: string; index: ShardIndex }[] = [];
  const layersSeen = new Set<string>();
  for (const { prefix, index } of indexes) {
    if (inputSize !== undefined && index.spec && index.spec.inputSize !== inputSize)
      throw new Error(
        `${join(dir, `${prefix}-index.json`)} was cached at ${index.spec.inputSize} px, not ${inputSize}`,
      );
    for (const name of Object.keys(index.shapes)) layersSeen.add(name);
    // Runs with different tags cache different layers of the same images; take the ones with `layer`.
    if (index.shapes[layer]) shards.push({ prefix, index });
  }
  if (indexes.length > 0 && shards.length === 0)
    throw new Error(`${split} has no cached layer ${layer}; it has ${[...layersSeen].join(", ")}`);
  const images: CachedImage[] = [];
  const parts = new Map<ViewName, Float32Array[]>();
  let shape: number[] | undefined;
  for (const { prefix, index } of shards) {
    shape = index.shapes[layer];
    images.push(...index.images);
    const expected = index.images.length * (shape ?? []).reduce((n, d) => n * d, 1) * 4;
    for (const variant of index.variants) {
      const file = join(dir, `${prefix}-${variant}-${layer}.f32`);
      const bytes = await readFile(file);
      // A shard cut short (a disk filled while it was written) must not shift every later row.
      if (bytes.byteLength !== expected) {
        throw new Error(
          `${file} is ${bytes.byteLength} bytes, its index says ${expected} (${index.images.length} images of shape [${shape}]); delete ${dir} so the cache is rebuilt`,
        );
      }
      const list = parts.get(variant) ?? [];
      list.push(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
      parts.set(variant, list);
    }
  }
  if (!shape || images.length === 0) throw new Error(`${dir} holds no cached shards`);
  const variants = new Map<ViewName, Float32Array>();
  for (const [variant, list] of parts) variants.set(variant, concatFloat32(list));
  return { images, shape, variants };
}

/**
 * Whether every one of `shardCount` shards of a split has all of `layers` cached (by any tagged run);
 * reads only the index files.
 */
export async function hasCachedLayers(
  cacheDir: string,
  split: string,
  layers: readonly string[],
  shardCount: number,
): Promise<boolean> {
  const dir = join(cacheDir, split);
  if (!existsSync(dir)) return false;
  const indexes = await shardIndexes(dir);
  for (let shard = 0; shard < shardCount; shard++) {
    const name = `${shard}of${shardCount}`;
    const cached = new Set<string>();
    for (const { index } of indexes.filter((x) => x.prefix === name || x.prefix.endsWith(`-${name}`))) {
      for (const layer of Object.keys(index.shapes)) cached.add(layer);
    }
    if (!layers.every((layer) => cached.has(layer))) return false;
  }
  return true;
}

/**
 * The photos a cached split covers, over all its shards and tags: those embedded (path → content hash
 * at embedding, undefined where the cache predates hashes), "path: reason" for those that failed
 * to decode, and path → content hash of the failed ones that could be read.
 */
export async function cachedPhotos(
  cacheDir: string,
  split: string,
): Promise<{ embedded: Map<string, string | undefined>; failed: string[]; failedSha256: Map<string, string> }> {
  const indexes = await shardIndexes(join(cacheDir, split));
  return {
    embedded: new Map(indexes.flatMap(({ index }) => index.images.map((image) => [image.path, image.sha256] as const))),
    failed: indexes.flatMap(({ index }) => index.failed ?? []),
    failedSha256: new Map(indexes.flatMap(({ index }) => Object.entries(index.failedSha256 ?? {}))),
  };
}

/** The backbone hashes a cached split's shards recorded (none for caches written before they were). */
export async function cachedBackbones(cacheDir: string, split: string): Promise<Set<string>> {
  const indexes = await shardIndexes(join(cacheDir, split));
  return new Set(indexes.flatMap(({ index }) => index.backboneSha256 ?? []));
}

/** Every shard index in a split's folder, by file prefix ("[tag-]KofN"), in name order. */
async function shardIndexes(dir: string): Promise<{ prefix: string; index: ShardIndex }[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith("-index.json")).sort();
  return Promise.all(
    files.map(async (file) => ({
      prefix: file.slice(0, -"-index.json".length),
      index: JSON.parse(await readFile(join(dir, file), "utf8")) as ShardIndex,
    })),
  );
}

/** Row-wise concatenation of two feature matrices ([n, a] and [n, b] → [n, a + b]). */
export function concatRows(a: Float32Array, aWidth: number, b: Float32Array, bWidth: number): Float32Array {
  const n = a.length / aWidth;
  if (b.length / bWidth !== n) throw new Error(`row counts differ: ${n} vs ${b.length / bWidth}`);
  const out = new Float32Array(n * (aWidth + bWidth));
  for (let i = 0; i < n; i++) {
    out.set(a.subarray(i * aWidth, (i + 1) * aWidth), i * (aWidth + bWidth));
    out.set(b.subarray(i * bWidth, (i + 1) * bWidth), i * (aWidth + bWidth) + aWidth);
  }
  return out;
}
