/** Downloaded model versions kept in IndexedDB. */
import { verifyModelCard } from "@pifu/core";
import { db } from "../db.js";
import type { ModelFolder } from "./sources.js";

export async function storeModel(folder: ModelFolder): Promise<void> {
  const files = Object.fromEntries(
    [...folder.files].map(([name, bytes]) => [name, bytes.slice().buffer as ArrayBuffer] as const),
  );
  const database = await db();
  await database.put("models", { version: folder.card.version, card: folder.card, files, storedAt: Date.now() });
}

/** The stored version re-verified against its card; throws (with every problem) when it no longer matches. */
export async function readStoredModel(version: string): Promise<ModelFolder | undefined> {
  const stored = await (await db()).get("models", version);
  if (!stored) return undefined;
  const files = new Map(Object.entries(stored.files).map(([name, buffer]) => [name, new Uint8Array(buffer)] as const));
  const card = await verifyModelCard(stored.card, async (name) => files.get(name));
  return { card, files };
}

/** Deletes every stored version except `keep`. */
export async function pruneStoredModels(keep?: string): Promise<void> {
  const database = await db();
  for (const version of await database.getAllKeys("models")) {
    if (version !== keep) await database.delete("models", version);
  }
}
