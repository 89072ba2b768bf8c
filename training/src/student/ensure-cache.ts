/** Fills the activation cache a student run needs, one cache-activations.ts process per core. */
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sha256Hex } from "@pifu/core";
import { readModelArtifacts } from "../backbones/load.js";
import { readDataset, SKIN8_ONLY } from "../data/index.js";
import { cachedBackbones, cachedPhotos, hasCachedLayers } from "./cache-store.js";
import { augmentedSplit, runClassIndices, STUDENT_TAPS, studentSplit, teacherSplit, teacherTap } from "./data.js";
import { runChild } from "./run-child.js";

const SCRIPT = fileURLToPath(new URL("./cache-activations.ts", import.meta.url));

/**
 * Reads the train and val folders as cache-activations.ts will (skin8 class folders) and applies the
 * run's class rules (`runClassIndices`), so that bad input fails here, naming the flag and folder,
 * not inside a worker.
 */
export async function checkRunFolders(train: string, val: string): Promise<void> {
  const labels = async (flag: string, dir: string) => {
    try {
      return (await readDataset(dir, SKIN8_ONLY)).items.map((item) => item.label);
    } catch (error) {
      // The reader's messages name the folder already.
      throw new Error(`${flag}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  runClassIndices(await labels("--data", train), await labels("--val", val));
}

export interface CacheNeeds {
  train: string;
  val: string;
  backbone: string;
  /** The student backbone's input size; teacher backbones are fed at their registry size. */
  inputSize: number;
  /** Registry names of the backbones whose pooled features teachers add (see data.ts `teacherTap`). */
  teacherBackbones: readonly string[];
  /**
   * Random augmentation draws per train image to cache (views 0: none). They are part of the cache,
   * drawn with cache-activations' fixed seed whatever the run's seed.
   */
  augmented?: { views: number; preset: string };
  /**
   * A fine-tuned tail's input layer, and its augmented draws (of `augmented.preset`) per train image;
   * fine-tuning on fresh draws (`images`) reads the photos and needs nothing cached at the cut.
   */
  finetune?: { cut: string; augmentedViews: number; images?: boolean } | null;
}

/** One cache-activations run (split across the workers). */
export interface CacheJob {
  split: string;
  data: string;
  backbone: string;
  size: number;
  range: string;
  /** layer:mode pairs (raw maps or global averages). */
  outputs: string[];
  /** The views: flips, or `--augment=N` random draws. */
  views: string[];
  /** Names the job's files so that layers cached by later jobs sit beside earlier ones. */
  tag?: string;
}

const layersOf = (job: CacheJob) => job.outputs.map((output) => output.split(":")[0] as string);

/** The cache jobs a student run with these needs depends on, cached or not. */
export function cacheJobs(needs: CacheNeeds): CacheJob[] {
  const student = { backbone: needs.backbone, size: needs.inputSize, range: "-1,1" };
  const flips = ["--variants=id,h,v,hv"];
  // Fine-tuning that trains on cached activations at its cut (fresh draws read the photos instead).
  const cachedTail = needs.finetune && !needs.finetune.images ? needs.finetune : null;
  const jobs: CacheJob[] = [];
  for (const [split, data] of [
    ["train", needs.train],
    ["val", needs.val],
  ] as const) {
    jobs.push({
      ...student,
      split: studentSplit(needs.inputSize, split),
      data,
      outputs: [`${STUDENT_TAPS.cut}:raw`, `${STUDENT_TAPS.pooled}:gap`],
      views: flips,
    });
    for (const tap of needs.teacherBackbones.map(teacherTap)) {
      jobs.push({
        split: teacherSplit(tap.name, split),
        data,
        backbone: tap.location,
        size: tap.inputSize,
        range: tap.range.join(","),
        outputs: [`${tap.layer}:gap`],
        views: ["--variants=id"],
      });
    }
    if (cachedTail && cachedTail.cut !== STUDENT_TAPS.cut) {
      const { cut } = cachedTail;
      jobs.push({
        ...student,
        split: studentSplit(needs.inputSize, split),
        data,
        outputs: [`${cut}:raw`],
        views: flips,
        tag: cut,
      });
    }
  }
  const preset = needs.augmented?.preset ?? "strong";
  const draws = (views: number) => [`--augment=${views}`, `--preset=${preset}`];
  const augmented = { ...student, split: augmentedSplit(needs.inputSize, preset), data: needs.train };
  if (needs.augmented && needs.augmented.views > 0) {
    jobs.push({ ...augmented, outputs: [`${STUDENT_TAPS.pooled}:gap`], views: draws(needs.augmented.views) });
  }
  if (cachedTail && cachedTail.augmentedViews > 0) {
    const { cut, augmentedViews } = cachedTail;
    jobs.push({ ...augmented, outputs: [`${cut}:raw`], views: draws(augmentedViews), tag: cut });
  }
  return jobs;
}

/** The jobs whose layers are not yet cached for every worker's shard. */
export async function missingJobs(cache: string, jobs: readonly CacheJob[], workers: number): Promise<CacheJob[]> {
  const missing: CacheJob[] = [];
  for (const job of jobs) if (!(await hasCachedLayers(cache, job.split, layersOf(job), workers))) missing.push(job);
  return missing;
}

/** `read()` for `key` the first time, the same promise every later time. */
function once<T>(memo: Map<string, Promise<T>>, key: string, read: () => Promise<T>): Promise<T> {
  const value = memo.get(key) ?? read();
  memo.set(key, value);
  return value;
}

/** What the staleness check reads of a data folder: its photos, and a photo's content hash. */
export interface PhotoFolders {
  list(data: string): Promise<string[]>;
  hash(path: string): Promise<string>;
}

/**
 * Reads folders as cache-activations.ts lists them, each folder listed and each photo hashed once
 * however many splits cache it (student, teacher backbone, augmented draws).
 */
export function photoFolders(): PhotoFolders {
  const listings = new Map<string, Promise<string[]>>();
  const hashes = new Map<string, Promise<string>>();
  return {
    list: (data) =>
      once(listings, data, async () => (await readDataset(data, SKIN8_ONLY)).items.map((item) => item.path)),
    // A photo that vanished since the listing hashes to "" and so counts as changed.
    hash: (path) => once(hashes, path, () => readFile(path).then(sha256Hex, () => "")),
  };
}

/**
 * Why a cached split no longer matches the photos in `data`, or null when it does (or nothing is
 * cached): photos added, removed or moved to another class since it was embedded, or rewritten in
 * place (a content hash that differs from the one recorded at embedding, or at the failed attempt for
 * a photo that did not decode; caches written before hashes were recorded are not checked for that).
 * Cache splits are named by backbone, size and split, not by folder, so a folder that changed would
 * otherwise be trained on as it was.
 */
export async function staleReason(
  cache: string,
  split: string,
  data: string,
  folders: PhotoFolders = photoFolders(),
): Promise<string | null> {
  if (!existsSync(join(cache, split))) return null;
  const { embedded, failed, failedSha256 } = await cachedPhotos(cache, split);
  const current = await folders.list(data);
  const listedSet = new Set(current);
  const added = current.filter((path) => !embedded.has(path) && !failed.some((f) => f.startsWith(`${path}: `)));
  const removed = [...embedded.keys()].filter((path) => !listedSet.has(path));
  // A photo that failed to decode and was later fixed under the same name counts as rewritten.
  const recordedHash = (path: string) => embedded.get(path) ?? failedSha256.get(path);
  const recorded = current.filter((path) => recordedHash(path) !== undefined);
  const hashes = await Promise.all(recorded.map((path) => folders.hash(path)));
  const changed = recorded.filter((path, i) => hashes[i] !== recordedHash(path));
  if (added.length === 0 && removed.length === 0 && changed.length === 0) return null;
  const example = (paths: string[]) => (paths[0] ? ` (${paths[0]}${paths.length > 1 ? ", …" : ""})` : "");
  const rewritten = changed.length > 0 ? `; ${changed.length} rewritten since it was cached${example(changed)}` : "";
  return `${data} has ${added.length} photo(s) the cache lacks${example(added)} and lacks ${removed.length} it holds${example(removed)}${rewritten}`;
}

/**
 * Why a cached split came from another backbone than `sha256`, or null when it did (or its shards
 * predate recorded hashes). Splits are named by backbone family ("mnv2"), so a backbone with other
 * weights at the same size (e.g. adapt-backbone's output) would otherwise reuse the old activations.
 */
export async function backboneMismatch(
  cache: string,
  split: string,
  sha256: () => Promise<string>,
): Promise<string | null> {
  if (!existsSync(join(cache, split))) return null;
  const recorded = await cachedBackbones(cache, split);
  if (recorded.size === 0) return null;
  const current = await sha256();
  const other = [...recorded].find((hash) => hash !== current);
  return other
    ? `it was embedded by another backbone (sha256 ${other.slice(0, 12)}…, now ${current.slice(0, 12)}…)`
    : null;
}

/** Deletes every split of `jobs` that is stale for its photos or its backbone, so that it is embedded again. */
export async function dropStaleSplits(
  cache: string,
  jobs: readonly CacheJob[],
  log: (line: string) => void,
): Promise<void> {
  const checked = new Set<string>();
  const folders = photoFolders();
  const backboneHashes = new Map<string, Promise<string>>();
  // Read only where a split recorded a hash to compare with.
  const hashOf = (backbone: string) => () =>
    once(backboneHashes, backbone, () => readModelArtifacts(backbone).then((read) => read.sha256));
  for (const job of jobs) {
    if (checked.has(job.split)) continue;
    checked.add(job.split);
    const reason =
      (await backboneMismatch(cache, job.split, hashOf(job.backbone))) ??
      (await staleReason(cache, job.split, job.data, folders));
    if (!reason) continue;
    log(`cache ${job.split} is stale: ${reason}; embedding it again`);
    await rm(join(cache, job.split), { recursive: true, force: true });
  }
}

/** Builds the cache splits a run needs that are missing or stale; the caller has run `checkRunFolders`. */
export async function ensureCache(
  options: CacheNeeds & { cache: string; workers?: number; log: (line: string) => void },
): Promise<void> {
  const workers = options.workers ?? 2;
  const jobs = cacheJobs(options);
  await dropStaleSplits(options.cache, jobs, options.log);
  const missing = new Set(await missingJobs(options.cache, jobs, workers));
  for (const job of jobs) {
    if (!missing.has(job)) {
      options.log(`cache ${job.split} (${layersOf(job).join(", ")}): present`);
      continue;
    }
    options.log(`cache ${job.split} (${layersOf(job).join(", ")}): embedding ${job.data} with ${workers} workers`);
    await Promise.all(
      Array.from({ length: workers }, (_, shard) =>
        runChild(
          SCRIPT,
          [
            `--backbone=${job.backbone}`,
            `--range=${job.range}`,
            `--size=${job.size}`,
            `--data=${job.data}`,
            `--split=${job.split}`,
            `--outputs=${job.outputs.join(",")}`,
            ...job.views,
            ...(job.tag ? [`--tag=${job.tag}`] : []),
            `--out=${options.cache}`,
            `--shard=${shard}/${workers}`,
          ],
          options.log,
        ),
      ),
    );
  }
}
