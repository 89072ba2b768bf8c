/**
 * Loads a TensorFlow.js layers model from a local path or an http(s) URL and hashes it. Local files
 * go through a small IOHandler because tfjs's file:// handler lives in tfjs-node, which is optional.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { readLayersModelArtifacts } from "@pifu/core";
import * as tfl from "@tensorflow/tfjs-layers";
import { tf } from "../backend/index.js";
import { NSFWJS_SCHEME, readNsfwjsArtifacts } from "./nsfwjs.js";

export interface LoadedModel {
  model: tfl.LayersModel;
  /** sha256 over model.json bytes followed by every weight file's bytes in manifest order. */
  sha256: string;
  /** Where it came from, as given (absolute for paths). */
  source: string;
}

export function isUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url} -> ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** The model.json a local location names (a folder holding it, or the file itself); undefined for a URL or a bundled npm model. */
export function localModelJson(location: string): string | undefined {
  if (isUrl(location) || location.startsWith(NSFWJS_SCHEME)) return undefined;
  return resolve(location.endsWith(".json") ? location : join(location, "model.json"));
}

/** Reads model.json and its weight files (from disk or over HTTP) into ModelArtifacts plus a hash. */
export async function readModelArtifacts(
  location: string,
): Promise<{ artifacts: tf.io.ModelArtifacts; sha256: string; source: string }> {
  if (location.startsWith(NSFWJS_SCHEME)) return readNsfwjsArtifacts(location);
  const local = localModelJson(location);
  const remote = local === undefined;
  const source = local ?? location;
  const read = remote ? fetchBytes : async (p: string) => new Uint8Array(await readFile(p));
  const base = remote ? new URL(".", source).href : dirname(source);
  const at = (name: string) => (remote ? new URL(name, base).href : join(base, name));

  const jsonBytes = await read(source);
  // core reads the shards one at a time in manifest order, so the hash covers them in that order.
  const hash = createHash("sha256").update(jsonBytes);
  const artifacts = await readLayersModelArtifacts(
    jsonBytes,
    async (path) => {
      const bytes = await read(at(path));
      hash.update(bytes);
      return bytes;
    },
    source,
  );
  return { artifacts, sha256: hash.digest("hex"), source };
}

/**
 * The same topology with every input layer taking `size`×`size` images. Convolutional backbones that
 * end in global pooling keep their weights at any size; the pretrained ones here were trained at 224.
 */
export function withInputSize(artifacts: tf.io.ModelArtifacts, size: number): tf.io.ModelArtifacts {
  const resize = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(resize);
    if (node === null || typeof node !== "object") return node;
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) =>
        key === "batch_input_shape" && Array.isArray(value) && value.length === 4
          ? [key, [value[0], size, size, value[3]]]
          : [key, resize(value)],
      ),
    );
  };
  return { ...artifacts, modelTopology: resize(artifacts.modelTopology) as tf.io.ModelArtifacts["modelTopology"] };
}

/**
 * Loads any layers model from a folder, a model.json path, a URL or npm:nsfwjs/mobilenet_v2, optionally
 * rebuilt for another square input size.
 */
export async function loadLayersModelFrom(location: string, inputSize?: number): Promise<LoadedModel> {
  const read = await readModelArtifacts(location);
  const { sha256, source } = read;
  const artifacts = inputSize === undefined ? read.artifacts : withInputSize(read.artifacts, inputSize);
  const model = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  return { model, sha256, source };
}
