/**
 * nsfwjs ships its models as JS modules (model JSON and base64 weight shards) instead of files;
 * this turns one into ModelArtifacts. nsfwjs is an optional dependency: a clear error when absent.
 */
import { createHash } from "node:crypto";
import { joinModelArtifacts, parseLayersModelJson } from "@pifu/core";
import type { tf } from "../backend/index.js";
import { BackboneError } from "./cut.js";

interface NsfwModelEntry {
  /** model.json as an object (its weightsManifest names the shards weightBundles holds, in order). */
  modelJson: () => Promise<{ default: unknown }>;
  weightBundles: (() => Promise<{ default: string }>)[];
}

export const NSFWJS_SCHEME = "npm:nsfwjs/";

export async function readNsfwjsArtifacts(
  location: string,
): Promise<{ artifacts: tf.io.ModelArtifacts; sha256: string; source: string }> {
  const variant = location.slice(NSFWJS_SCHEME.length);
  if (variant !== "mobilenet_v2") throw new BackboneError(`unknown nsfwjs model "${variant}"; valid: mobilenet_v2`);
  let entry: NsfwModelEntry;
  try {
    const specifier = "nsfwjs/models/mobilenet_v2";
    entry = ((await import(/* @vite-ignore */ specifier)) as { MobileNetV2Model: NsfwModelEntry }).MobileNetV2Model;
  } catch (error) {
    throw new BackboneError(
      `the nsfwjs backbone needs the npm package nsfwjs (npm install -w training nsfwjs): ${(error as Error).message}`,
    );
  }
  // Hashed as JSON text, then each shard's bytes, as files would be.
  const jsonBytes = new TextEncoder().encode(JSON.stringify((await entry.modelJson()).default));
  const hash = createHash("sha256").update(jsonBytes);
  const shards = await Promise.all(
    entry.weightBundles.map(async (load) => Buffer.from((await load()).default, "base64")),
  );
  for (const shard of shards) hash.update(shard);
  const artifacts = joinModelArtifacts(parseLayersModelJson(jsonBytes, location), shards);
  return { artifacts, sha256: hash.digest("hex"), source: location };
}
