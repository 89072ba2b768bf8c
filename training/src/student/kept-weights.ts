/**
 * Weights a run outside TensorFlow.js kept: experiments/torch-gpu writes NAME.bin (float32,
 * little-endian, one weight after another) beside its results.json, whose runs[NAME].weights lists
 * each weight's tfjs name ("Conv1/kernel", "head_dense_0/bias", ...) and shape in file order. Read
 * here and written into a layers model by those names, every weight accounted for both ways.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type * as tfl from "@tensorflow/tfjs-layers";
import { z } from "zod";
import { tf } from "../backend/index.js";

export class KeptWeightsError extends Error {
  override name = "KeptWeightsError";
}

const LayoutSchema = z.array(z.object({ name: z.string().min(1), shape: z.array(z.number().int().nonnegative()) }));

export type WeightLayout = z.infer<typeof LayoutSchema>;

const KeptRunSchema = z.looseObject({
  spec: z.looseObject({
    kind: z.string(),
    seed: z.number().int(),
    /** distil.py: the kept network it started from (FOLDER/NAME.bin) and the models behind its soft targets. */
    init: z.string().optional(),
    targetModels: z.array(z.string()).optional(),
  }),
  epochs: z.number().optional(),
  weights: LayoutSchema,
});

const ResultsSchema = z.looseObject({
  gpu: z.string().optional(),
  torch: z.string().optional(),
  runs: z.record(z.string(), KeptRunSchema),
});

export type KeptRun = z.infer<typeof KeptRunSchema>;

/** One weight: its shape and float32 values (row-major, as tfjs stores them). */
export interface NamedWeight {
  shape: number[];
  values: Float32Array;
}

export interface KeptWeights {
  /** NAME of NAME.bin: the run's key in results.json. */
  name: string;
  run: KeptRun;
  /** Where the run trained: results.json's gpu and torch, when it records them. */
  trainedOn: string;
  /** Of the .bin file. */
  sha256: string;
  weights: Map<string, NamedWeight>;
}

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Splits a kept .bin's bytes by its layout; a file of any other length (cut short, say) is refused. */
export function splitKeptBytes(bytes: Uint8Array, layout: WeightLayout, source: string): Map<string, NamedWeight> {
  const expected = layout.reduce((n, entry) => n + count(entry.shape), 0);
  if (bytes.byteLength !== expected * 4) {
    throw new KeptWeightsError(
      `${source} holds ${bytes.byteLength} bytes, its layout names ${expected} float32 values (${expected * 4} bytes): the file is ${bytes.byteLength < expected * 4 ? "cut short" : "longer than its layout"}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const weights = new Map<string, NamedWeight>();
  let offset = 0;
  for (const { name, shape } of layout) {
    if (weights.has(name)) throw new KeptWeightsError(`${source}: the layout names ${name} twice`);
    const values = new Float32Array(count(shape));
    for (let i = 0; i < values.length; i++) values[i] = view.getFloat32((offset + i) * 4, true);
    offset += values.length;
    weights.set(name, { shape, values });
  }
  return weights;
}

/** Reads OUT/NAME.bin with the layout that OUT/results.json records for run NAME. */
export async function readKeptWeights(binPath: string): Promise<KeptWeights> {
  const name = basename(binPath).replace(/\.bin$/, "");
  const resultsPath = join(dirname(binPath), "results.json");
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(resultsPath, "utf8"));
  } catch (error) {
    throw new KeptWeightsError(
      `cannot read ${resultsPath} (the layout of ${binPath} is taken from the results.json beside it): ${(error as Error).message}`,
    );
  }
  const parsed = ResultsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new KeptWeightsError(`${resultsPath} is not a torch-gpu results.json: ${z.prettifyError(parsed.error)}`);
  }
  const run = parsed.data.runs[name];
  if (!run) {
    throw new KeptWeightsError(
      `${resultsPath} has no run "${name}" (the name of ${basename(binPath)}); its runs: ${Object.keys(parsed.data.runs).join(", ")}`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(binPath);
  } catch (error) {
    throw new KeptWeightsError(`cannot read ${binPath}: ${(error as Error).message}`);
  }
  const trainedOn = [parsed.data.gpu, parsed.data.torch && `PyTorch ${parsed.data.torch}`].filter(Boolean).join(", ");
  return {
    name,
    run,
    trainedOn: trainedOn || "not recorded",
    sha256: createHash("sha256").update(bytes).digest("hex"),
    weights: splitKeptBytes(bytes, run.weights, binPath),
  };
}

/**
 * Writes `weights` into `model` by tfjs weight name (originalName, as the model was built). Every
 * weight of the model must be there with its shape, and every one given must be used: a weight left
 * over would mean the file holds a network other than the one built.
 */
export function loadWeightsByName(model: tfl.LayersModel, weights: ReadonlyMap<string, NamedWeight>): void {
  const variables = model.weights;
  const missing: string[] = [];
  const misshapen: string[] = [];
  for (const variable of variables) {
    const given = weights.get(variable.originalName);
    if (!given) missing.push(variable.originalName);
    else if (given.shape.join() !== variable.shape.join())
      misshapen.push(`${variable.originalName} is [${given.shape}] in the file, [${variable.shape}] in the model`);
  }
  const used = new Set(variables.map((v) => v.originalName));
  const extra = [...weights.keys()].filter((name) => !used.has(name));
  const problems = [
    ...(misshapen.length > 0 ? [`shapes differ: ${misshapen.slice(0, 5).join("; ")}`] : []),
    ...(missing.length > 0 ? [`missing from the file: ${listSome(missing)}`] : []),
    ...(extra.length > 0 ? [`not in the model: ${listSome(extra)}`] : []),
  ];
  if (problems.length > 0) throw new KeptWeightsError(`the kept weights do not fit the model: ${problems.join("; ")}`);
  for (const variable of variables) {
    const { shape, values } = weights.get(variable.originalName) as NamedWeight;
    tf.tidy(() => {
      variable.write(tf.tensor(values, shape));
    });
  }
}

const listSome = (names: string[]) =>
  names.length > 6 ? `${names.slice(0, 6).join(", ")} and ${names.length - 6} more` : names.join(", ");

/** A model's weights as a kept .bin and its layout, names sorted as train.py writes them (tests, tools). */
export function keptBytesOf(model: tfl.LayersModel): { bytes: Uint8Array; layout: WeightLayout } {
  const variables = [...model.weights].sort((a, b) => (a.originalName < b.originalName ? -1 : 1));
  const layout = variables.map((v) => ({ name: v.originalName, shape: [...v.shape] as number[] }));
  const parts = variables.map((v) => v.read().dataSync() as Float32Array);
  const flat = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    flat.set(part, offset);
    offset += part.length;
  }
  return { bytes: new Uint8Array(flat.buffer), layout };
}
