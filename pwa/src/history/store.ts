/** Past results, kept only on this device. */
import { db, type HistoryEntry } from "../db.js";

export async function addHistory(entry: HistoryEntry): Promise<void> {
  await (await db()).put("history", entry);
}

/** Newest first. */
export async function listHistory(): Promise<HistoryEntry[]> {
  return (await (await db()).getAllFromIndex("history", "byCreatedAt")).reverse();
}

export async function attachFeedback(historyId: string, feedback: HistoryEntry["feedback"]): Promise<void> {
  const database = await db();
  const entry = await database.get("history", historyId);
  if (entry) await database.put("history", { ...entry, feedback });
}

export async function deleteHistory(id: string): Promise<void> {
  await (await db()).delete("history", id);
}

export async function clearHistory(): Promise<void> {
  await (await db()).clear("history");
}
