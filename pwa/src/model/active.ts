/**
 * Chooses the model to run: a downloaded version when one is active, newer than the embedded default,
 * and still verifies and loads; otherwise the embedded default. Switches to a newer channel version
 * only after every file verified and the model loaded.
 */
import { compareVersions } from "@pifu/core";
import { type Classifier, loadClassifier } from "./classifier.js";
import { fetchEmbeddedModel, fetchVerifiedFiles, parseCard } from "./sources.js";
import { pruneStoredModels, readStoredModel, storeModel } from "./store.js";

export interface ActiveModel {
  classifier: Classifier;
  source: "embedded" | "downloaded";
  /** Why a stored model was thrown away in favour of the embedded one. */
  discarded?: string;
}

export async function openActiveModel(storedVersion: string | undefined): Promise<ActiveModel> {
  let discarded: string | undefined;
  const embedded = await fetchEmbeddedModel();
  if (storedVersion && compareVersions(storedVersion, embedded.card.version) > 0) {
    try {
      const stored = await readStoredModel(storedVersion);
      if (!stored) throw new Error(`model ${storedVersion} is no longer stored`);
      return { classifier: await loadClassifier(stored.card, stored.files), source: "downloaded" };
    } catch (error) {
      discarded = `model ${storedVersion}: ${(error as Error).message}`;
      await pruneStoredModels();
    }
  }
  return { classifier: await loadClassifier(embedded.card, embedded.files), source: "embedded", discarded };
}

export type UpdateResult =
  | { kind: "none"; channelVersion?: string }
  | { kind: "updated"; model: ActiveModel }
  | { kind: "failed"; version: string; error: string };

/** Asks the API for the channel's card and, when it is newer than `currentVersion`, downloads and loads it. */
export async function updateFromChannel(
  apiBase: string,
  channel: string,
  currentVersion: string,
): Promise<UpdateResult> {
  const url = `${apiBase}/v1/channels/${channel}`;
  const response = await fetch(url, { cache: "no-store" });
  if (response.status === 404) return { kind: "none" };
  if (!response.ok) throw new Error(`the model server answered ${response.status}`);
  const card = parseCard(await response.json(), url);
  if (compareVersions(card.version, currentVersion) <= 0) return { kind: "none", channelVersion: card.version };
  try {
    const base = `${apiBase}/v1/models/${encodeURIComponent(card.version)}/files/`;
    const folder = await fetchVerifiedFiles(card, (name) => base + encodeURIComponent(name));
    const classifier = await loadClassifier(folder.card, folder.files);
    await storeModel(folder);
    await pruneStoredModels(card.version);
    return { kind: "updated", model: { classifier, source: "downloaded" } };
  } catch (error) {
    return { kind: "failed", version: card.version, error: (error as Error).message };
  }
}
