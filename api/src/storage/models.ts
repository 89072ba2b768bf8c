/** D1 queries for model versions and their files. A version is visible only once status = 'complete'. */
import type { ModelCard } from "@pifu/core";

export type ModelStatus = "pending" | "complete";

export interface ModelRow {
  version: string;
  card: ModelCard;
  /** The card as stored: `complete` publishes only if it is still this text. */
  cardText: string;
  status: ModelStatus;
  completedAt: string | null;
}

export interface FileRow {
  name: string;
  sha256: string;
  size: number;
  uploaded: boolean;
}

export interface ListedModel {
  version: string;
  name: string;
  date: string;
  quantization: ModelCard["quantization"];
  completedAt: string;
  channels: string[];
}

const now = () => new Date().toISOString();

export async function getModel(db: D1Database, version: string): Promise<ModelRow | null> {
  const row = await db
    .prepare("SELECT version, card, status, completed_at FROM models WHERE version = ?1")
    .bind(version)
    .first<{ version: string; card: string; status: ModelStatus; completed_at: string | null }>();
  if (!row) return null;
  return {
    version: row.version,
    card: JSON.parse(row.card),
    cardText: row.card,
    status: row.status,
    completedAt: row.completed_at,
  };
}

/** The cards of those of `versions` that are complete, as stored (JSON text), by version: one query however many. */
export async function getCompleteCardTexts(db: D1Database, versions: string[]): Promise<Map<string, string>> {
  if (versions.length === 0) return new Map();
  // One JSON array parameter rather than one parameter per version: D1 binds at most 100.
  const { results } = await db
    .prepare(
      "SELECT version, card FROM models WHERE version IN (SELECT value FROM json_each(?1)) AND status = 'complete'",
    )
    .bind(JSON.stringify(versions))
    .all<{ version: string; card: string }>();
  return new Map(results.map((r) => [r.version, r.card]));
}

/** Where a page of the published list ends: versions are listed newest published first. */
export interface ListedModelKey {
  completedAt: string;
  version: string;
}

/** Published versions, newest published first, `limit` of them after `after`; the card fields come from SQLite's JSON, unparsed here. */
export async function listCompleteModels(
  db: D1Database,
  { limit, after }: { limit: number; after?: ListedModelKey },
): Promise<ListedModel[]> {
  // Two statements rather than "?1 IS NULL OR …", so a later page seeks to its cursor in the index.
  const afterCursor = after ? "AND (m.completed_at, m.version) < (?2, ?3)" : "";
  const statement = db.prepare(
    `SELECT m.version, json_extract(m.card, '$.name') AS name, json_extract(m.card, '$.date') AS date,
       json_extract(m.card, '$.quantization') AS quantization, m.completed_at,
       (SELECT group_concat(c.channel) FROM channels c WHERE c.version = m.version) AS channels
     FROM models m
     WHERE m.status = 'complete' ${afterCursor}
     ORDER BY m.completed_at DESC, m.version DESC LIMIT ?1`,
  );
  const { results } = await (after
    ? statement.bind(limit, after.completedAt, after.version)
    : statement.bind(limit)
  ).all<Omit<ListedModel, "completedAt" | "channels"> & { completed_at: string; channels: string | null }>();
  return results.map((row) => ({
    version: row.version,
    name: row.name,
    date: row.date,
    quantization: row.quantization,
    completedAt: row.completed_at,
    channels: row.channels ? row.channels.split(",").sort() : [],
  }));
}

/** What storing a pending card did: false when the version is already complete; the card's files not yet uploaded. */
export interface PendingPut {
  stored: boolean;
  missing: string[];
}

/**
 * Stores a new pending version or replaces the card of a pending one. A file the new card lists
 * with the same name, sha256 and size keeps its upload (objects are keyed by content, so the stored
 * bytes are still the right ones); every other file of the old card is forgotten. Every statement is
 * conditional on the version not being complete, so a concurrent completion cannot be overwritten.
 */
export async function putPendingModel(db: D1Database, card: ModelCard): Promise<PendingPut> {
  const at = now();
  const notComplete = "NOT EXISTS (SELECT 1 FROM models WHERE version = ?1 AND status = 'complete')";
  const statements = [
    db
      .prepare(
        `DELETE FROM model_files WHERE version = ?1 AND ${notComplete}
           AND NOT EXISTS (SELECT 1 FROM json_each(?2) AS f
             WHERE f.value ->> 'name' = model_files.name AND f.value ->> 'sha256' = model_files.sha256
               AND f.value ->> 'size' = model_files.size)`,
      )
      .bind(card.version, JSON.stringify(card.files)),
    db
      .prepare(
        `INSERT INTO models (version, card, status, created_at) VALUES (?1, ?2, 'pending', ?3)
         ON CONFLICT (version) DO UPDATE SET card = excluded.card, created_at = excluded.created_at
         WHERE models.status = 'pending'`,
      )
      .bind(card.version, JSON.stringify(card), at),
    ...card.files.map((file) =>
      db
        .prepare(
          `INSERT INTO model_files (version, name, sha256, size)
           SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM models WHERE version = ?1 AND status = 'pending')
           ON CONFLICT (version, name) DO NOTHING`,
        )
        .bind(card.version, file.name, file.sha256, file.size),
    ),
    db
      .prepare("SELECT name FROM model_files WHERE version = ?1 AND uploaded_at IS NULL ORDER BY name")
      .bind(card.version),
  ];
  const results = await db.batch<{ name: string }>(statements);
  const stored = (results[1]?.meta.changes ?? 0) > 0;
  return { stored, missing: stored ? (results.at(-1)?.results ?? []).map((r) => r.name) : [] };
}

export async function getFile(db: D1Database, version: string, name: string): Promise<FileRow | null> {
  const row = await db
    .prepare("SELECT name, sha256, size, uploaded_at FROM model_files WHERE version = ?1 AND name = ?2")
    .bind(version, name)
    .first<{ name: string; sha256: string; size: number; uploaded_at: string | null }>();
  return row ? { name: row.name, sha256: row.sha256, size: row.size, uploaded: row.uploaded_at !== null } : null;
}

/** A file of a complete version (what the public file route serves), or null. */
export async function getServedFile(db: D1Database, version: string, name: string): Promise<FileRow | null> {
  const row = await db
    .prepare(
      `SELECT f.name, f.sha256, f.size FROM model_files f JOIN models m ON m.version = f.version
       WHERE f.version = ?1 AND f.name = ?2 AND m.status = 'complete'`,
    )
    .bind(version, name)
    .first<{ name: string; sha256: string; size: number }>();
  return row ? { ...row, uploaded: true } : null;
}

export async function listFiles(db: D1Database, version: string): Promise<FileRow[]> {
  const { results } = await db
    .prepare("SELECT name, sha256, size, uploaded_at FROM model_files WHERE version = ?1 ORDER BY name")
    .bind(version)
    .all<{ name: string; sha256: string; size: number; uploaded_at: string | null }>();
  return results.map((r) => ({ name: r.name, sha256: r.sha256, size: r.size, uploaded: r.uploaded_at !== null }));
}

/**
 * Marks a file uploaded if the pending card still lists it with this sha256; false when the card was
 * replaced (or published) while the bytes were on their way.
 */
export async function markUploaded(db: D1Database, version: string, file: Omit<FileRow, "uploaded">): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE model_files SET uploaded_at = ?5 WHERE version = ?1 AND name = ?2 AND sha256 = ?3 AND size = ?4
         AND EXISTS (SELECT 1 FROM models WHERE version = ?1 AND status = 'pending')`,
    )
    .bind(version, file.name, file.sha256, file.size, now())
    .run();
  return result.meta.changes > 0;
}

/**
 * Makes a pending version visible in one statement, only if its card is still `verifiedCardText`;
 * false if it was not pending, its card was replaced meanwhile, or a file is missing.
 */
export async function markComplete(db: D1Database, version: string, verifiedCardText: string): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE models SET status = 'complete', completed_at = ?2
       WHERE version = ?1 AND status = 'pending' AND card = ?3
         AND NOT EXISTS (SELECT 1 FROM model_files WHERE version = ?1 AND uploaded_at IS NULL)`,
    )
    .bind(version, now(), verifiedCardText)
    .run();
  return result.meta.changes > 0;
}
