/** Downloaded model versions kept in IndexedDB. */
import { compareVersions, verifyModelCard } from "@pifu/core";
import { db, type StoredModel } from "../db.js";
import { SETTINGS_KEY, type Settings } from "../settings.js";
import type { ModelFolder } from "./sources.js";

/** A stored version whose files no longer match its card: it can never be used again. */
export class StoredModelInvalidError extends Error {
  override name = "StoredModelInvalidError";
}

function toStored(folder: ModelFolder): StoredModel {
  const files = Object.fromEntries(
    [...folder.files].map(([name, bytes]) => [name, bytes.slice().buffer as ArrayBuffer] as const),
  );
  return { version: folder.card.version, card: folder.card, files, storedAt: Date.now() };
}

/**
 * The one pruning rule: whether stored version `stored` stays beside the model in use, `inUse`
 * (`downloaded` when that model is itself stored, not the embedded default). It stays when it is that
 * model or newer, a version a start could still choose; older ones and a stored copy of the embedded
 * default are superseded.
 */
export function keepsStored(stored: string, inUse: string, downloaded: boolean): boolean {
  return compareVersions(stored, inUse) > 0 || (downloaded && stored === inUse);
}

/**
 * Stores a verified model, names it in `settings` and deletes the stored versions it supersedes, all in
 * one transaction: if anything fails (or the tab dies) the previous model and settings stay as they were.
 * `onlyThis` (a switch to an older version the channel serves) deletes the newer ones too: the user
 * left the channel that served them, and a start falling back from this one would pick them over it.
 */
export async function storeAsActive(folder: ModelFolder, settings: Settings, onlyThis = false): Promise<void> {
  const version = folder.card.version;
  await activeInOneTransaction(
    { ...settings, activeModel: version },
    (old) => (onlyThis ? old === version : keepsStored(old, version, true)),
    folder,
  );
}

/**
 * Makes the built-in default the model in use: `settings` name no stored version, and every stored
 * version is deleted (a start would pick any of them over the default), in one transaction.
 */
export async function useEmbeddedAsActive(settings: Settings): Promise<void> {
  await activeInOneTransaction({ ...settings, activeModel: undefined }, () => false);
}

/** Stores `folder` (if any) and `settings`, and deletes the stored versions `keep` refuses, in one transaction. */
async function activeInOneTransaction(
  settings: Settings,
  keep: (version: string) => boolean,
  folder?: ModelFolder,
): Promise<void> {
  const transaction = (await db()).transaction(["models", "settings"], "readwrite");
  const writes = (async () => {
    const models = transaction.objectStore("models");
    if (folder) await models.put(toStored(folder));
    await transaction.objectStore("settings").put(settings, SETTINGS_KEY);
    for (const old of await models.getAllKeys()) {
      if (!keep(old)) await models.delete(old);
    }
  })();
  try {
    await Promise.all([writes, transaction.done]);
  } catch (error) {
    // A request that throws before it is queued does not abort the transaction by itself; without this
    // the writes queued before it would still commit.
    try {
      transaction.abort();
    } catch {
      // Already finished or aborted.
    }
    throw error;
  }
}

/** The stored version re-verified against its card; undefined when it is not stored. */
export async function readStoredModel(version: string): Promise<ModelFolder | undefined> {
  const stored = await (await db()).get("models", version);
  if (!stored) return undefined;
  const files = new Map(Object.entries(stored.files).map(([name, buffer]) => [name, new Uint8Array(buffer)] as const));
  try {
    return { card: await verifyModelCard(stored.card, async (name) => files.get(name)), files };
  } catch (error) {
    throw new StoredModelInvalidError((error as Error).message);
  }
}

export async function listStoredVersions(): Promise<string[]> {
  return (await db()).getAllKeys("models");
}

export async function deleteStoredModel(version: string): Promise<void> {
  await (await db()).delete("models", version);
}

/** Deletes the stored versions that the model in use supersedes (see keepsStored). */
export async function pruneStoredModels(inUse: string, downloaded: boolean): Promise<void> {
  const database = await db();
  for (const version of await database.getAllKeys("models")) {
    if (!keepsStored(version, inUse, downloaded)) await database.delete("models", version);
  }
}
