/**
 * Publishing a model folder (model.json, weight shards, model-card.json) to the API, and moving
 * channels. The folder is fully validated before anything is uploaded, and the published version is
 * verified afterwards by downloading every file back and checking its sha256.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { checkCardFiles, type ModelCard, ModelCardSchema, sha256Hex } from "@pifu/core";
import { z } from "zod";
import { checkModelJson } from "../model-manifest.js";
import { type ApiClient, apiClient, CliError, failure } from "./api-client.js";

export const CARD_FILE = "model-card.json";
export type ChannelName = "stable" | "beta";

export interface PublishOptions {
  api: string;
  token: string;
  dir: string;
  channel?: ChannelName;
  log?: (message: string) => void;
}

export interface PromoteOptions {
  api: string;
  token: string;
  version: string;
  channel: ChannelName;
}

export interface ChannelMove {
  channel: ChannelName;
  version: string;
  previousVersion: string | null;
}

export interface ModelFolder {
  card: ModelCard;
  files: Map<string, Uint8Array<ArrayBuffer>>;
}

/** Reads and checks a model folder: the card against the schema, every file against the card, and model.json. */
export async function readModelDir(dir: string): Promise<ModelFolder> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    throw new CliError(`cannot read the model folder ${dir}`);
  }
  if (!names.includes(CARD_FILE))
    throw new CliError(`${dir} has no ${CARD_FILE}; is it a model folder made by the training export?`);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(join(dir, CARD_FILE), "utf8"));
  } catch {
    throw new CliError(`${join(dir, CARD_FILE)} is not valid JSON`);
  }
  const parsed = ModelCardSchema.safeParse(raw);
  if (!parsed.success) throw new CliError(`${CARD_FILE} is not a valid model card: ${z.prettifyError(parsed.error)}`);
  const card = parsed.data;
  const files = new Map<string, Uint8Array<ArrayBuffer>>();
  const problems = await checkCardFiles(card, async (name) => {
    if (!names.includes(name)) return undefined;
    const bytes = new Uint8Array(await readFile(join(dir, name)));
    files.set(name, bytes);
    return bytes;
  });
  if (problems.length > 0) {
    throw new CliError(`the files in ${dir} do not match ${CARD_FILE}: ${problems.map((p) => p.message).join("; ")}`);
  }
  const manifestProblems = checkModelJson(new TextDecoder().decode(files.get(card.modelFile)), card);
  if (manifestProblems.length > 0)
    throw new CliError(`${card.modelFile} is not publishable: ${manifestProblems.join("; ")}`);
  return { card, files };
}

async function checkReachable(client: ApiClient): Promise<void> {
  await client.ok("/v1/health", {}, "health check");
}

/** Downloads the published card and every file and compares them with what was uploaded. */
async function verifyPublished(client: ApiClient, folder: ModelFolder): Promise<void> {
  const { version } = folder.card;
  const card = await (await client.ok(`/v1/models/${version}/card`, {}, "download the published card")).json();
  if (JSON.stringify(card) !== JSON.stringify(folder.card)) {
    throw new CliError(`the published card of ${version} differs from ${CARD_FILE}`);
  }
  for (const file of folder.card.files) {
    const res = await client.ok(`/v1/models/${version}/files/${file.name}`, {}, `download ${file.name}`);
    const actual = await sha256Hex(new Uint8Array(await res.arrayBuffer()));
    if (actual !== file.sha256) {
      throw new CliError(`downloaded ${file.name} has sha256 ${actual}, the card says ${file.sha256}`);
    }
  }
}

export async function publishModelDir(options: PublishOptions): Promise<ModelCard> {
  const log = options.log ?? (() => {});
  const folder = await readModelDir(options.dir);
  const { version } = folder.card;
  log(`model folder ok: ${folder.card.name} ${version}, ${folder.files.size} files`);
  const client = apiClient(options.api, options.token);
  await checkReachable(client);

  const cardRes = await client.request(`/v1/admin/models/${version}/card`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(folder.card),
  });
  if (cardRes.status === 409) {
    throw new CliError(`version ${version} is already published; versions are immutable, so bump the card's version`);
  }
  if (!cardRes.ok) await failure(cardRes, "upload the card");
  for (const file of folder.card.files) {
    const bytes = folder.files.get(file.name)!;
    await client.ok(
      `/v1/admin/models/${version}/files/${file.name}`,
      { method: "PUT", headers: { "content-type": "application/octet-stream" }, body: bytes },
      `upload ${file.name}`,
    );
    log(`uploaded ${file.name} (${file.size} bytes)`);
  }
  await client.ok(`/v1/admin/models/${version}/complete`, { method: "POST" }, "complete the publish");
  await verifyPublished(client, folder);
  log(`published ${version} and verified every file by sha256`);
  if (options.channel) {
    const move = await promote({ api: options.api, token: options.token, version, channel: options.channel });
    log(`${move.channel} now serves ${move.version} (was ${move.previousVersion ?? "none"})`);
  }
  return folder.card;
}

export async function promote(options: PromoteOptions): Promise<ChannelMove> {
  const client = apiClient(options.api, options.token);
  const res = await client.ok(
    `/v1/admin/channels/${encodeURIComponent(options.channel)}`,
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ version: options.version }),
    },
    `promote ${options.version} to ${options.channel}`,
  );
  return (await res.json()) as ChannelMove;
}

export async function rollback(options: Omit<PromoteOptions, "version">): Promise<ChannelMove> {
  const client = apiClient(options.api, options.token);
  const res = await client.ok(
    `/v1/admin/channels/${encodeURIComponent(options.channel)}/rollback`,
    { method: "POST" },
    `roll back ${options.channel}`,
  );
  return (await res.json()) as ChannelMove;
}
