/** The app's one IndexedDB database: stored models, the feedback queue, history and settings. */
import type { FeedbackRecord, ModelCard } from "@pifu/core";
import { type DBSchema, type IDBPDatabase, openDB } from "idb";

export const DB_NAME = "pifu";

/** A downloaded, verified model version. */
export interface StoredModel {
  version: string;
  card: ModelCard;
  files: Record<string, ArrayBuffer>;
  storedAt: number;
}

export interface QueuedFeedback {
  record: FeedbackRecord;
  /** "rejected" records failed the server's validation and are kept for inspection, not resent. */
  status: "pending" | "rejected";
  attempts: number;
  error?: string;
}

export interface HistoryEntry {
  id: string;
  createdAt: number;
  thumbnail: Blob;
  modelVersion: string;
  top: { label: string; probability: number }[];
  unsure: boolean;
  /** The feedback record sent for this result, if any. */
  feedback?: { id: string; confirmedLabel: string };
}

interface PifuSchema extends DBSchema {
  models: { key: string; value: StoredModel };
  feedback: { key: string; value: QueuedFeedback };
  history: { key: string; value: HistoryEntry; indexes: { byCreatedAt: number } };
  settings: { key: string; value: unknown };
}

export type PifuDB = IDBPDatabase<PifuSchema>;

let opened: Promise<PifuDB> | undefined;

/** The open database, shared; a failed open or a connection the browser closed is retried on the next call. */
export function db(): Promise<PifuDB> {
  if (opened) return opened;
  const opening = openDB<PifuSchema>(DB_NAME, 1, {
    upgrade(database) {
      database.createObjectStore("models", { keyPath: "version" });
      database.createObjectStore("feedback", { keyPath: "record.id" });
      database.createObjectStore("history", { keyPath: "id" }).createIndex("byCreatedAt", "createdAt");
      database.createObjectStore("settings");
    },
    terminated() {
      if (opened === opening) opened = undefined;
    },
  });
  opened = opening;
  opening.catch(() => {
    if (opened === opening) opened = undefined;
  });
  return opening;
}
