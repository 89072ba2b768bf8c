/** Past results, kept only on this device. */
import { type CheckResult, topLabels } from "../check.js";
import { db, type HistoryEntry } from "../db.js";

/** Saves a check's thumbnail and top results. */
export async function addToHistory(check: CheckResult): Promise<void> {
  await (await db()).put("history", {
    id: check.id,
    createdAt: check.createdAt,
    thumbnail: check.thumbnail,
    modelVersion: check.card.version,
    top: topLabels(check),
    unsure: check.interpretation.unsure,
    qualityProblems: check.qualityProblems,
  });
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
