/** Where model folders come from: the embedded default (precached with the app) and the API. */
import { type ModelCard, ModelCardSchema, verifyModelCard } from "@pifu/core";
import { downloadBytes, fetchJson } from "../net.js";

/** How long a model card may take to come, and how long a file download may go without a byte. */
export const CARD_TIMEOUT_MS = 20_000;
export const DOWNLOAD_IDLE_MS = 30_000;

/** The server sent a model card that does not parse. */
export class ModelCardInvalidError extends Error {
  override name = "ModelCardInvalidError";
}

export interface ModelFolder {
  card: ModelCard;
  files: Map<string, Uint8Array>;
}

export function parseCard(json: unknown, from: string): ModelCard {
  const parsed = ModelCardSchema.safeParse(json);
  if (!parsed.success)
    throw new ModelCardInvalidError(`the model card from ${from} is not valid: ${parsed.error.message}`);
  return parsed.data;
}

export async function fetchCard(url: string, timeoutMs = CARD_TIMEOUT_MS): Promise<ModelCard> {
  return parseCard(await fetchJson(url, { timeoutMs }), url);
}

/**
 * Downloads every file the card lists, unchecked; throws on the first that cannot be fetched or that
 * stalls for `idleMs` (net.ts DownloadStalledError).
 */
export async function downloadFiles(
  card: ModelCard,
  fileUrl: (name: string) => string,
  idleMs = DOWNLOAD_IDLE_MS,
): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const { name } of card.files) files.set(name, await downloadBytes(fileUrl(name), idleMs));
  return files;
}

/** Downloaded files that do not match their card (a size or sha256); the message lists each mismatch. */
export class ModelFilesMismatchError extends Error {
  override name = "ModelFilesMismatchError";
}

/** Checks every downloaded file's size and sha256 against the card; throws listing every mismatch. */
export async function verifiedFolder(card: ModelCard, files: Map<string, Uint8Array>): Promise<ModelFolder> {
  try {
    return { card: await verifyModelCard(card, async (name) => files.get(name)), files };
  } catch (error) {
    throw new ModelFilesMismatchError((error as Error).message, { cause: error });
  }
}

/** Downloads every file the card lists and checks each size and sha256; throws listing every mismatch. */
export async function fetchVerifiedFiles(card: ModelCard, fileUrl: (name: string) => string): Promise<ModelFolder> {
  return verifiedFolder(card, await downloadFiles(card, fileUrl));
}

/** The default model built into the app (served next to index.html, precached by the service worker). */
export const EMBEDDED_MODEL_DIR = `${import.meta.env.BASE_URL}models/default/`;

/** The built-in default's card alone (its version, without fetching and checking its files). */
export async function fetchEmbeddedCard(dir = EMBEDDED_MODEL_DIR): Promise<ModelCard> {
  return fetchCard(`${dir}model-card.json`);
}

/** The built-in default's card and files, each size and sha256 checked. */
export async function fetchEmbeddedModel(): Promise<ModelFolder> {
  const card = await fetchEmbeddedCard();
  return fetchVerifiedFiles(card, (name) => `${EMBEDDED_MODEL_DIR}${encodeURIComponent(name)}`);
}
