/**
 * Chooses the model to run: the downloaded version the settings name when it is newer than the
 * embedded default and still verifies and loads, else the newest other stored version that does,
 * else the embedded default. Switches to a newer channel version only after every file verified
 * and the model loaded.
 */
import { compareVersions } from "@pifu/core";
import type { Settings } from "../settings.js";
import { type Classifier, loadClassifier } from "./classifier.js";
import { downloadFiles, fetchEmbeddedModel, type ModelFolder, parseCard, verifiedFolder } from "./sources.js";
import {
  deleteStoredModel,
  listStoredVersions,
  pruneStoredModels,
  readStoredModel,
  StoredModelInvalidError,
  storeAsActive,
} from "./store.js";

export interface ActiveModel {
  classifier: Classifier;
  source: "embedded" | "downloaded";
  /** Why stored models were passed over (and, when they can never load, deleted) at start. */
  discarded?: string;
}

/** The version settings should name for `model`: undefined for the embedded default. */
export function activeVersion(model: ActiveModel): string | undefined {
  return model.source === "downloaded" ? model.classifier.card.version : undefined;
}

/** The named version first, then the other stored ones newest first; only those newer than the default. */
async function candidateVersions(named: string | undefined, embeddedVersion: string): Promise<string[]> {
  let stored: string[] = [];
  try {
    stored = await listStoredVersions();
  } catch {
    // Storage unreadable: the named version alone is tried (and fails the same way).
  }
  const others = stored.filter((version) => version !== named).sort((a, b) => compareVersions(b, a));
  return [...(named ? [named] : []), ...others].filter((version) => compareVersions(version, embeddedVersion) > 0);
}

/** Deletes a stored version that can never run; a failure to delete only leaves it for the next start. */
async function forget(version: string): Promise<void> {
  await deleteStoredModel(version).catch(() => undefined);
}

/** Loads a stored version; undefined (with the reason in `problems`) when it cannot run. */
async function loadStored(version: string, problems: string[]): Promise<Classifier | undefined> {
  let folder: ModelFolder | undefined;
  try {
    folder = await readStoredModel(version);
  } catch (error) {
    problems.push(`model ${version}: ${(error as Error).message}`);
    if (error instanceof StoredModelInvalidError) await forget(version);
    return undefined;
  }
  if (!folder) {
    problems.push(`model ${version} is no longer stored`);
    return undefined;
  }
  try {
    return await loadClassifier(folder.card, folder.files);
  } catch (error) {
    // Its files match the card, yet tfjs cannot run it: it would fail the same way at every start.
    problems.push(`model ${version}: ${(error as Error).message}`);
    await forget(version);
    return undefined;
  }
}

export async function openActiveModel(namedVersion: string | undefined): Promise<ActiveModel> {
  const embedded = await fetchEmbeddedModel();
  const problems: string[] = [];
  const discarded = () => (problems.length > 0 ? problems.join("; ") : undefined);
  for (const version of await candidateVersions(namedVersion, embedded.card.version)) {
    const classifier = await loadStored(version, problems);
    if (classifier) return { classifier, source: "downloaded", discarded: discarded() };
  }
  return {
    classifier: await loadClassifier(embedded.card, embedded.files),
    source: "embedded",
    discarded: discarded(),
  };
}

/**
 * Deletes the stored versions `model` supersedes, by the rule storeAsActive prunes with too. Call only
 * once the settings naming `model` are saved.
 */
export async function pruneSuperseded(model: ActiveModel): Promise<void> {
  await pruneStoredModels(model.classifier.card.version, model.source === "downloaded");
}

export type UpdateResult =
  | { kind: "none"; channelVersion?: string }
  | { kind: "updated"; model: ActiveModel }
  /**
   * `stage` "download": a file could not be fetched (offline, a dropped connection, a server error);
   * "check": a file did not match the card or the model did not load; "store": it could not be saved.
   */
  | { kind: "failed"; stage: "download" | "check" | "store"; version: string; error: string };

/**
 * Asks the API for the channel's card and, when it is newer than `currentVersion`, downloads, loads
 * and stores it as the active model. `latestSettings` gives the settings to save with it, read at
 * the moment it is saved.
 */
export async function updateFromChannel(
  apiBase: string,
  currentVersion: string,
  latestSettings: () => Settings,
): Promise<UpdateResult> {
  const url = `${apiBase}/v1/channels/${latestSettings().channel}`;
  const response = await fetch(url, { cache: "no-store" });
  if (response.status === 404) return { kind: "none" };
  if (!response.ok) throw new Error(`the model server answered ${response.status}`);
  const card = parseCard(await response.json(), url);
  if (compareVersions(card.version, currentVersion) <= 0) return { kind: "none", channelVersion: card.version };
  const failed = (stage: "download" | "check" | "store", error: unknown): UpdateResult => ({
    kind: "failed",
    stage,
    version: card.version,
    error: (error as Error).message,
  });
  let files: Map<string, Uint8Array>;
  try {
    const base = `${apiBase}/v1/models/${encodeURIComponent(card.version)}/files/`;
    files = await downloadFiles(card, (name) => base + encodeURIComponent(name));
  } catch (error) {
    return failed("download", error);
  }
  let folder: ModelFolder;
  let classifier: Classifier;
  try {
    folder = await verifiedFolder(card, files);
    classifier = await loadClassifier(folder.card, folder.files);
  } catch (error) {
    return failed("check", error);
  }
  try {
    await storeAsActive(folder, latestSettings());
  } catch (error) {
    classifier.dispose();
    return failed("store", error);
  }
  return { kind: "updated", model: { classifier, source: "downloaded" } };
}
