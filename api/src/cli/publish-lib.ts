/**
 * Publishing a model folder (model.json, weight shards, model-card.json) to the API, and moving
 * channels. The folder is fully validated before anything is uploaded, and the published version is
 * verified afterwards by downloading every file back and checking its sha256.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
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
  /** The folder's card as readModelCard returned it, when the caller has read it already. */
  card?: ModelCard;
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

/** Reads a model folder's card and checks it against the schema; the card as publishing uploads it. */
export async function readModelCard(dir: string): Promise<ModelCard> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(join(dir, CARD_FILE), "utf8"));
  } catch {
    throw new CliError(`${join(dir, CARD_FILE)} is not valid JSON`);
  }
  const parsed = ModelCardSchema.safeParse(raw);
  if (!parsed.success) throw new CliError(`${CARD_FILE} is not a valid model card: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/**
 * Reads and checks a model folder: the card against the schema (unless given, as readModelCard
 * returned it), every file against the card, and model.json.
 */
export async function readModelDir(dir: string, knownCard?: ModelCard): Promise<ModelFolder> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    throw new CliError(`cannot read the model folder ${dir}`);
  }
  if (!names.includes(CARD_FILE))
    throw new CliError(`${dir} has no ${CARD_FILE}; is it a model folder made by the training export?`);
  const card = knownCard ?? (await readModelCard(dir));
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

/** The card the API holds for a published version, or null when it has none. */
export async function publishedCard(client: ApiClient, version: string): Promise<unknown> {
  const res = await client.request(`/v1/models/${version}/card`);
  if (res.status === 404) return null;
  if (!res.ok) await failure(res, `download the published card of ${version}`);
  return res.json();
}

/**
 * Whether a published card is this card. Versions are immutable, so the whole card must match: the
 * same files with an edited card (metrics, thresholds, names) is another model under the same version.
 */
export function sameCard(published: unknown, card: ModelCard): boolean {
  return isDeepStrictEqual(published, card);
}

/** The refusal for a version the API already holds with another card. */
export function differentCardError(version: string): CliError {
  return new CliError(
    `version ${version} is already published with a different card; versions are immutable, so bump the card's version`,
  );
}

/** The version a channel serves, or null when it serves none. */
export async function servedOn(client: ApiClient, channel: ChannelName): Promise<string | null> {
  const res = await client.request(`/v1/channels/${channel}`);
  if (res.status === 404) return null;
  if (!res.ok) await failure(res, `read the ${channel} channel`);
  return ((await res.json()) as ModelCard).version;
}

/** Downloads every published file and compares its sha256 with the card's. */
async function verifyPublished(client: ApiClient, folder: ModelFolder): Promise<void> {
  const { version } = folder.card;
  for (const file of folder.card.files) {
    const res = await client.ok(`/v1/models/${version}/files/${file.name}`, {}, `download ${file.name}`);
    const actual = await sha256Hex(new Uint8Array(await res.arrayBuffer()));
    if (actual !== file.sha256) {
      throw new CliError(`downloaded ${file.name} has sha256 ${actual}, the card says ${file.sha256}`);
    }
  }
}

/**
 * Uploads the card and the files the API does not hold yet, then completes the version. A version
 * already published with this very card was published by an earlier run (which may have stopped
 * before verifying or promoting it): that is not an error, and returns false.
 */
async function upload(client: ApiClient, folder: ModelFolder, log: (message: string) => void): Promise<boolean> {
  const { version } = folder.card;
  const cardRes = await client.request(`/v1/admin/models/${version}/card`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(folder.card),
  });
  if (cardRes.status === 409) {
    if (sameCard(await publishedCard(client, version), folder.card)) {
      log(`${version} is already published with this card; verifying it`);
      return false;
    }
    throw differentCardError(version);
  }
  if (!cardRes.ok) await failure(cardRes, "upload the card");
  // An API without `missing` in its answer wants every file.
  const { missing } = (await cardRes.json()) as { missing?: string[] };
  const needed = new Set(missing ?? folder.card.files.map((f) => f.name));
  for (const file of folder.card.files) {
    if (!needed.has(file.name)) {
      log(`${file.name} was uploaded by an earlier run`);
      continue;
    }
    await client.ok(
      `/v1/admin/models/${version}/files/${file.name}`,
      {
        method: "PUT",
        headers: { "content-type": "application/octet-stream" },
        body: folder.files.get(file.name)!,
      },
      `upload ${file.name}`,
    );
    log(`uploaded ${file.name} (${file.size} bytes)`);
  }
  await client.ok(`/v1/admin/models/${version}/complete`, { method: "POST" }, "complete the publish");
  return true;
}

/**
 * Publishes a model folder, and promotes it when `channel` is given. Safe to run again after any
 * failure: files already uploaded are not sent again, and a version already published with the same
 * card is verified and promoted.
 */
export async function publishModelDir(options: PublishOptions): Promise<ModelCard> {
  const log = options.log ?? (() => {});
  const folder = await readModelDir(options.dir, options.card);
  const { version } = folder.card;
  log(`model folder ok: ${folder.card.name} ${version}, ${folder.files.size} files`);
  const client = apiClient(options.api, options.token);
  await checkReachable(client);
  const published = await upload(client, folder, log);
  // A version found already published had its card compared by upload: no second download.
  if (published && !sameCard(await publishedCard(client, version), folder.card)) {
    throw new CliError(`the published card of ${version} differs from ${CARD_FILE}`);
  }
  await verifyPublished(client, folder);
  log(`${published ? "published" : "checked"} ${version} and verified every file by sha256`);
  if (!options.channel) return folder.card;
  // A rerun after an earlier run promoted it: another promote would only add a no-op to the channel's history.
  if (!published && (await servedOn(client, options.channel)) === version) {
    log(`${options.channel} already serves ${version}`);
    return folder.card;
  }
  const move = await promote({ api: options.api, token: options.token, version, channel: options.channel });
  log(`${move.channel} now serves ${move.version} (was ${move.previousVersion ?? "none"})`);
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
