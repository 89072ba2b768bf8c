/**
 * Checkpoints: weights as tfjs weight specs + one binary file, plus a JSON state. Written beside the
 * old one and swapped in (fs/replace-folder.ts), so a run killed mid-write keeps its previous checkpoint.
 */
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type * as tfl from "@tensorflow/tfjs-layers";
import { tf } from "../backend/index.js";
import { replaceFolder, settledFolder } from "../fs/replace-folder.js";

type NamedTensor = { name: string; tensor: tf.Tensor };

async function encode(tensors: NamedTensor[]): Promise<{ specs: tf.io.WeightsManifestEntry[]; data: Uint8Array }> {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  const buffer = Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data;
  return { specs, data: new Uint8Array(buffer) };
}

function decode(specs: tf.io.WeightsManifestEntry[], bytes: Uint8Array): tf.NamedTensorMap {
  return tf.io.decodeWeights(bytes.slice().buffer, specs);
}

export interface Checkpoint<S> {
  state: S;
  /** Model weights in model.getWeights() order. */
  weights: tf.Tensor[];
  /** Optimizer weights (Adam: iterations, then moments), to pass to optimizer.setWeights. */
  optimizer: NamedTensor[];
}

export async function saveCheckpoint<S>(
  dir: string,
  model: tfl.LayersModel,
  optimizer: tf.Optimizer | undefined,
  state: S,
): Promise<void> {
  await replaceFolder(dir, async (tmp) => {
    const modelWeights = model.getWeights().map((tensor, i) => ({ name: `w${i}`, tensor }));
    const m = await encode(modelWeights);
    await writeFile(join(tmp, "weights.bin"), m.data);
    const optimizerWeights = optimizer ? await optimizer.getWeights() : [];
    const o = await encode(optimizerWeights);
    await writeFile(join(tmp, "optimizer.bin"), o.data);
    await writeFile(
      join(tmp, "checkpoint.json"),
      `${JSON.stringify({ state, weightSpecs: m.specs, optimizerSpecs: o.specs, optimizerNames: optimizerWeights.map((w) => w.name) }, null, 1)}\n`,
    );
  });
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(settledFolder(dir), "checkpoint.json"));
}

export async function loadCheckpoint<S>(saved: string): Promise<Checkpoint<S>> {
  const dir = settledFolder(saved);
  const meta = JSON.parse(await readFile(join(dir, "checkpoint.json"), "utf8")) as {
    state: S;
    weightSpecs: tf.io.WeightsManifestEntry[];
    optimizerSpecs: tf.io.WeightsManifestEntry[];
    optimizerNames: string[];
  };
  const weightMap = decode(meta.weightSpecs, new Uint8Array(await readFile(join(dir, "weights.bin"))));
  const optimizerMap = decode(meta.optimizerSpecs, new Uint8Array(await readFile(join(dir, "optimizer.bin"))));
  return {
    state: meta.state,
    weights: meta.weightSpecs.map((s) => weightMap[s.name] as tf.Tensor),
    optimizer: meta.optimizerNames.map((name) => ({ name, tensor: optimizerMap[name] as tf.Tensor })),
  };
}
