/** Test fixtures for the workerd suites: a tiny but valid layers-model folder, and request helpers. */

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import type { ModelCard } from "@pifu/core";
import { exampleCard } from "@pifu/core/testing";
import { createApp } from "../src/app.js";
import type { Bindings } from "../src/env.js";

export const testEnv = env as unknown as Bindings;
export const ADMIN_TOKEN = "pifu-local-dev-token";
export const BASE = "http://api.test";

export interface ModelFolder {
  card: ModelCard;
  files: Record<string, Uint8Array<ArrayBuffer>>;
}

/** A one-Dense-layer tfjs layers model (4 inputs → 8 logits), float32 weights in one shard. */
export async function tinyModelFolder(version: string, seed = 1): Promise<ModelFolder> {
  const weights = new Float32Array(4 * 8 + 8).map((_, i) => Math.sin(i * seed));
  const shard = new Uint8Array(weights.buffer);
  const modelJson = {
    format: "layers-model",
    generatedBy: "pifu api tests",
    convertedBy: null,
    modelTopology: {
      class_name: "Sequential",
      config: {
        name: "tiny",
        layers: [
          {
            class_name: "Dense",
            config: { name: "dense", units: 8, activation: "linear", use_bias: true, batch_input_shape: [null, 4] },
          },
        ],
      },
      keras_version: "tfjs-layers",
      backend: "tensor_flow.js",
    },
    weightsManifest: [
      {
        paths: ["group1-shard1of1.bin"],
        weights: [
          { name: "dense/kernel", shape: [4, 8], dtype: "float32" },
          { name: "dense/bias", shape: [8], dtype: "float32" },
        ],
      },
    ],
  };
  const files = {
    "model.json": new TextEncoder().encode(JSON.stringify(modelJson)),
    "group1-shard1of1.bin": shard,
  };
  const card = await exampleCard(files, { version, modelFile: "model.json" });
  return { card, files };
}

/** The Worker under test (the root wrangler.toml's main), reached through workerd's own fetch path. */
export const worker = (exports as unknown as { default: Fetcher }).default;

const app = createApp();

/**
 * Sends a request to the app in this workerd isolate with the real D1 and R2 bindings. (Going through
 * `worker.fetch` for every request gets slower with each call in the pool, which 1,000+ requests feel.)
 */
export async function call(path: string, init: RequestInit = {}, bindings: Bindings = testEnv): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`${BASE}${path}`, init), bindings, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

export function adminHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${ADMIN_TOKEN}`, ...extra };
}

export function putJson(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return call(path, {
    method: "PUT",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

export function postJson(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return call(path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

export function uploadFile(version: string, name: string, bytes: Uint8Array<ArrayBuffer>): Promise<Response> {
  return call(`/v1/admin/models/${version}/files/${name}`, {
    method: "PUT",
    headers: adminHeaders({ "content-type": "application/octet-stream" }),
    body: bytes,
  });
}

export function completeModel(version: string): Promise<Response> {
  return call(`/v1/admin/models/${version}/complete`, { method: "POST", headers: adminHeaders() });
}

/** Publishes a folder through the admin API, checking each step; optionally promotes it. */
export async function publish(folder: ModelFolder, channel?: "stable" | "beta"): Promise<void> {
  const { version } = folder.card;
  const card = await putJson(`/v1/admin/models/${version}/card`, folder.card, adminHeaders());
  if (card.status !== 201) throw new Error(`card: ${card.status} ${await card.text()}`);
  for (const [name, bytes] of Object.entries(folder.files)) {
    const res = await uploadFile(version, name, bytes);
    if (res.status !== 200) throw new Error(`${name}: ${res.status} ${await res.text()}`);
  }
  const done = await completeModel(version);
  if (done.status !== 200) throw new Error(`complete: ${done.status} ${await done.text()}`);
  if (channel) {
    const moved = await postJson(`/v1/admin/channels/${channel}`, { version }, adminHeaders());
    if (moved.status !== 200) throw new Error(`promote: ${moved.status} ${await moved.text()}`);
  }
}

export async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  return body.error;
}
