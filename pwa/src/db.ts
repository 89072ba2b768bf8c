/** The app's one IndexedDB database: stored models, the feedback queue, history and settings. */
import type { FeedbackRecord, ModelCard } from "@pifu/core";
import { type DBSchema, type IDBPDatabase, openDB } from "idb";
import { requeuedFromV1 } from "./feedback/lifecycle.js";
import type { QualityProblem } from "./quality/quality.js";

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
  /**
   * "pending" records are sent at the next sync. "waiting" ones were refused because their model
   * version is not published (yet) and are sent again now and then (feedback/lifecycle.ts).
   * "rejected" ones the server refused for good; they are kept for inspection, not resent.
   */
  status: "pending" | "waiting" | "rejected";
  attempts: number;
  error?: string;
  /** When the server first refused it as unknown_model (ms since the epoch). */
  waitingSince?: number;
  /** When a waiting record was last sent (ms since the epoch). */
  triedAt?: number;
}

export interface HistoryEntry {
  id: string;
  createdAt: number;
  thumbnail: Blob;
  modelVersion: string;
  top: { label: string; probability: number }[];
  unsure: boolean;
  /** What the quality gate found in a photo checked anyway (absent in entries saved before it was kept). */
  qualityProblems?: QualityProblem[];
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
/** Set while another tab holds this tab's open up; a second open would only queue behind it. */
let heldUp = false;
/** Set once another tab's newer app took the database over: this tab's code no longer fits it. */
let superseded = false;

/** Another tab runs an older app that holds the database at its older schema. */
export class StorageHeldError extends Error {
  override name = "StorageHeldError";
  constructor() {
    super("pifu is open in another tab that runs an older version; close that tab so this one can use its saved data");
  }
}

/** Another tab's newer app has taken the database over. */
export class StorageSupersededError extends Error {
  override name = "StorageSupersededError";
  constructor() {
    super("pifu was updated in another tab; reload this page to keep saving");
  }
}

/**
 * The open database, shared; a failed open or a connection the browser closed is retried on the next
 * call. An open that another tab holds up (an older app without the newer schema's upgrade) fails at
 * once with a message saying so, rather than leaving the app waiting on it.
 */
export function db(): Promise<PifuDB> {
  if (superseded) return Promise.reject(new StorageSupersededError());
  if (heldUp) return Promise.reject(new StorageHeldError());
  if (opened) return opened;
  const opening = new Promise<PifuDB>((resolve, reject) => {
    openDB<PifuSchema>(DB_NAME, 2, {
      async upgrade(database, oldVersion, _newVersion, transaction) {
        if (oldVersion < 1) {
          database.createObjectStore("models", { keyPath: "version" });
          database.createObjectStore("feedback", { keyPath: "record.id" });
          database.createObjectStore("history", { keyPath: "id" }).createIndex("byCreatedAt", "createdAt");
          database.createObjectStore("settings");
        }
        // Version 2 only changes data: records version 1 set aside for an unpublished model wait for it.
        if (oldVersion < 2) {
          const now = Date.now();
          const feedback = transaction.objectStore("feedback");
          for (let cursor = await feedback.openCursor(); cursor; cursor = await cursor.continue()) {
            const waiting = requeuedFromV1(cursor.value, now);
            if (waiting) await cursor.update(waiting);
          }
        }
      },
      blocked() {
        heldUp = true;
        reject(new StorageHeldError());
      },
      // Another tab runs a newer app that needs a newer schema: step aside, or its upgrade waits for this tab.
      blocking(_current, _blocked, event) {
        (event.target as IDBDatabase).close();
        superseded = true;
      },
      // The browser closed the connection (storage cleared, say): the next call opens a new one.
      terminated() {
        opened = undefined;
      },
    }).then((database) => {
      if (heldUp) {
        // The other tab has closed: calls from now on use this connection.
        heldUp = false;
        opened = Promise.resolve(database);
      }
      resolve(database);
    }, reject);
  });
  opened = opening;
  opening.catch(() => {
    if (opened === opening) opened = undefined;
  });
  return opening;
}
