/**
 * A backbone folder whose batch-norm statistics were re-estimated on a photo folder
 * (backbones/adapt-batchnorm.ts), saved as a plain tfjs layers model beside a record of how, which
 * the student's card quotes as the backbone's provenance.
 */
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { type PreprocessSpec, PreprocessSpecSchema, preprocess, type RawImage, SHA256_PATTERN } from "@pifu/core";
import { z } from "zod";
import { adaptBatchNorms } from "../backbones/adapt-batchnorm.js";
import { loadLayersModelFrom, localModelJson } from "../backbones/load.js";
import type { tf } from "../backend/index.js";
import { failureLine, readDataset } from "../data/index.js";
import { Rng } from "../data/rng.js";
import { DecodeAhead } from "../features/decode-ahead.js";
import { assertReplaceable, checkInputsOutside, checkOutNotInside, replaceFolder } from "../fs/replace-folder.js";
import { saveLayersModel } from "../train/save.js";
import { pixelTensor } from "./image-batches.js";

export const ADAPTATION_FILE = "adaptation.json";

const AdaptationRecordSchema = z.strictObject({
  /** The backbone the statistics were replaced in, and its sha256 (as loadLayersModelFrom hashes). */
  source: z.string().min(1),
  sourceSha256: z.string().regex(SHA256_PATTERN),
  data: z.string().min(1),
  /** Photos the statistics were estimated on, and "path: reason" for those that failed to decode (left out). */
  images: z.number().int().positive(),
  failed: z.array(z.string()),
  batchNorms: z.number().int().positive(),
  batchSize: z.number().int().min(2),
  seed: z.number().int(),
  preprocessing: PreprocessSpecSchema,
});

export type AdaptationRecord = z.infer<typeof AdaptationRecordSchema>;

export interface AdaptOptions {
  backbone: string;
  data: string;
  out: string;
  preprocessing: PreprocessSpec;
  batchSize: number;
  seed: number;
  /** At most this many photos (a seeded random sample); default all. */
  maxImages?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Each batch of decodable photos, preprocessed by the contract; undecodable ones are listed in `failed`. */
async function* photoBatches(paths: readonly string[], spec: PreprocessSpec, batchSize: number, failed: string[]) {
  const ahead = new DecodeAhead(8);
  for (let start = 0; start < paths.length; start += batchSize) {
    const decoded = await Promise.all(
      paths.slice(start, start + batchSize).map((path) =>
        ahead
          .with(path, (image: RawImage) => preprocess(image, spec))
          .catch((error: unknown) => {
            failed.push(failureLine(path, error));
            return undefined;
          }),
      ),
    );
    const rows = decoded.filter((row): row is Float32Array => row !== undefined);
    // A lone photo has no variance to contribute.
    if (rows.length > 1) yield pixelTensor(rows, spec.inputSize) as tf.Tensor4D;
  }
}

/**
 * Refuses an --out that would lose data: it is replaced whole, so it must be missing, empty or an
 * earlier adapt-backbone folder, and hold neither the photos nor the backbone (nor lie among the
 * photos, where it would become a class).
 */
function checkOut(out: string, data: string, backboneDir: string | undefined): void {
  checkInputsOutside(out, [
    { flag: "--data", path: data },
    ...(backboneDir === undefined ? [] : [{ flag: "--backbone", path: backboneDir }]),
  ]);
  checkOutNotInside(out, [{ flag: "--data", path: data }]);
  try {
    assertReplaceable(out, ADAPTATION_FILE);
  } catch (error) {
    throw new Error(`--out ${(error as Error).message}`);
  }
}

/** The local folder a --backbone location reads from; undefined for a URL or a bundled npm model. */
function backboneFolder(backbone: string): string | undefined {
  const modelJson = localModelJson(backbone);
  return modelJson === undefined ? undefined : dirname(modelJson);
}

/**
 * Adapts the backbone and writes it with adaptation.json into `out.partial`, which replaces `out`
 * only once both are complete: a failure or a kill midway leaves `out` as it was.
 */
export async function adaptBackboneFolder(options: AdaptOptions): Promise<AdaptationRecord> {
  const { backbone, data, out, preprocessing, batchSize, seed } = options;
  if (batchSize < 2) throw new Error(`adapting batch norms needs batches of at least 2 photos, got ${batchSize}`);
  checkOut(out, data, backboneFolder(backbone));
  const loaded = await loadLayersModelFrom(backbone, preprocessing.inputSize).catch((error: unknown) => {
    throw new Error(`--backbone ${backbone} cannot be loaded: ${(error as Error).message}`);
  });
  try {
    const dataset = await readDataset(data);
    const shuffled = new Rng(seed).fork("adapt-batchnorm").shuffle(dataset.items.map((item) => item.path));
    const paths = shuffled.slice(0, options.maxImages ?? shuffled.length);
    const failed: string[] = [];
    const adapted = await adaptBatchNorms(loaded.model, photoBatches(paths, preprocessing, batchSize, failed), (done) =>
      options.onProgress?.(done + failed.length, paths.length),
    );
    const record: AdaptationRecord = {
      source: loaded.source,
      sourceSha256: loaded.sha256,
      data: resolve(data),
      images: adapted.images,
      failed,
      batchNorms: adapted.layers,
      batchSize,
      seed,
      preprocessing,
    };
    await replaceFolder(out, async (partial) => {
      await saveLayersModel(loaded.model, partial);
      await writeFile(join(partial, ADAPTATION_FILE), `${JSON.stringify(record, null, 2)}\n`);
    });
    return record;
  } finally {
    loaded.model.dispose();
  }
}

/** The adaptation record beside a backbone folder's model.json, if it was made by adaptBackboneFolder. */
export async function readAdaptation(backbone: string): Promise<AdaptationRecord | undefined> {
  const folder = backboneFolder(backbone);
  if (folder === undefined) return undefined;
  const file = join(folder, ADAPTATION_FILE);
  if (!existsSync(file)) return undefined;
  const parsed = AdaptationRecordSchema.safeParse(JSON.parse(await readFile(file, "utf8")));
  if (!parsed.success) throw new Error(`${file} is not an adapt-backbone record: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
