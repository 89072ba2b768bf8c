/** Where model folders come from: the embedded default (precached with the app) and the API. */
import { type ModelCard, ModelCardSchema, verifyModelCard } from "@pifu/core";

export interface ModelFolder {
  card: ModelCard;
  files: Map<string, Uint8Array>;
}

async function fetchOk(url: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return response;
}

export function parseCard(json: unknown, from: string): ModelCard {
  const parsed = ModelCardSchema.safeParse(json);
  if (!parsed.success) throw new Error(`the model card from ${from} is not valid: ${parsed.error.message}`);
  return parsed.data;
}

export async function fetchCard(url: string): Promise<ModelCard> {
  return parseCard(await (await fetchOk(url)).json(), url);
}

/** Downloads every file the card lists, unchecked; throws on the first that cannot be fetched. */
export async function downloadFiles(
  card: ModelCard,
  fileUrl: (name: string) => string,
): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const { name } of card.files) {
    files.set(name, new Uint8Array(await (await fetchOk(fileUrl(name))).arrayBuffer()));
  }
  return files;
}

/** Checks every downloaded file's size and sha256 against the card; throws listing every mismatch. */
export async function verifiedFolder(card: ModelCard, files: Map<string, Uint8Array>): Promise<ModelFolder> {
  return { card: await verifyModelCard(card, async (name) => files.get(name)), files };
}

/** Downloads every file the card lists and checks each size and sha256; throws listing every mismatch. */
export async function fetchVerifiedFiles(card: ModelCard, fileUrl: (name: string) => string): Promise<ModelFolder> {
  return verifiedFolder(card, await downloadFiles(card, fileUrl));
}

/** The default model built into the app (served next to index.html, precached by the service worker). */
export const EMBEDDED_MODEL_DIR = `${import.meta.env.BASE_URL}models/default/`;

export async function fetchEmbeddedModel(): Promise<ModelFolder> {
  const card = await fetchCard(`${EMBEDDED_MODEL_DIR}model-card.json`);
  return fetchVerifiedFiles(card, (name) => `${EMBEDDED_MODEL_DIR}${encodeURIComponent(name)}`);
}
