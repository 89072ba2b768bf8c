/**
 * Channels (stable, beta) and their history. Every move is one D1 batch (a transaction): the history
 * row and the channel row change together or not at all.
 */
export const CHANNELS = ["stable", "beta"] as const;
export type Channel = (typeof CHANNELS)[number];

export function isChannel(value: string): value is Channel {
  return (CHANNELS as readonly string[]).includes(value);
}

export interface ChannelMove {
  channel: Channel;
  version: string;
  previousVersion: string | null;
}

export interface HistoryEntry {
  id: number;
  action: "promote" | "rollback";
  version: string;
  previousVersion: string | null;
  reverts: number | null;
  at: string;
}

export async function currentVersion(db: D1Database, channel: Channel): Promise<string | null> {
  const row = await db
    .prepare("SELECT version FROM channels WHERE channel = ?1")
    .bind(channel)
    .first<{ version: string }>();
  return row?.version ?? null;
}

/** The card of the channel's current version, as stored JSON text, with its version. */
export async function channelCard(db: D1Database, channel: Channel): Promise<{ version: string; card: string } | null> {
  return db
    .prepare(
      `SELECT m.version, m.card FROM channels c JOIN models m ON m.version = c.version
       WHERE c.channel = ?1 AND m.status = 'complete'`,
    )
    .bind(channel)
    .first<{ version: string; card: string }>();
}

export async function promote(db: D1Database, channel: Channel, version: string): Promise<ChannelMove> {
  const at = new Date().toISOString();
  const [history] = await db.batch([
    db
      .prepare(
        `INSERT INTO channel_history (channel, action, version, previous_version, at)
         SELECT ?1, 'promote', ?2, (SELECT version FROM channels WHERE channel = ?1), ?3
         RETURNING previous_version`,
      )
      .bind(channel, version, at),
    db
      .prepare(
        `INSERT INTO channels (channel, version, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (channel) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
      )
      .bind(channel, version, at),
  ]);
  const previousVersion = (history?.results[0] as { previous_version: string | null } | undefined)?.previous_version;
  return { channel, version, previousVersion: previousVersion ?? null };
}

export type RollbackResult = { ok: true; move: ChannelMove } | { ok: false; reason: "nothing" | "conflict" };

/** Undoes the latest promote of the channel that has not been undone yet. */
export async function rollback(db: D1Database, channel: Channel): Promise<RollbackResult> {
  const target = await db
    .prepare(
      `SELECT p.id, p.version, p.previous_version FROM channel_history p
       WHERE p.channel = ?1 AND p.action = 'promote'
         AND NOT EXISTS (SELECT 1 FROM channel_history r WHERE r.reverts = p.id)
       ORDER BY p.id DESC LIMIT 1`,
    )
    .bind(channel)
    .first<{ id: number; version: string; previous_version: string | null }>();
  if (!target?.previous_version) return { ok: false, reason: "nothing" };
  const at = new Date().toISOString();
  // Both statements only act while the channel still points at the promote being undone.
  const [, update] = await db.batch([
    db
      .prepare(
        `INSERT INTO channel_history (channel, action, version, previous_version, reverts, at)
         SELECT ?1, 'rollback', ?2, ?3, ?4, ?5
         WHERE (SELECT version FROM channels WHERE channel = ?1) = ?3
           AND NOT EXISTS (SELECT 1 FROM channel_history WHERE reverts = ?4)`,
      )
      .bind(channel, target.previous_version, target.version, target.id, at),
    db
      .prepare(
        `UPDATE channels SET version = ?2, updated_at = ?4
         WHERE channel = ?1 AND version = ?3
           AND EXISTS (SELECT 1 FROM channel_history WHERE reverts = ?5 AND at = ?4)`,
      )
      .bind(channel, target.previous_version, target.version, at, target.id),
  ]);
  if ((update?.meta.changes ?? 0) === 0) return { ok: false, reason: "conflict" };
  return { ok: true, move: { channel, version: target.previous_version, previousVersion: target.version } };
}

/** The channel's moves, newest first, `limit` of them older than move `beforeId`. */
export async function history(
  db: D1Database,
  channel: Channel,
  { limit, beforeId }: { limit: number; beforeId?: number },
): Promise<HistoryEntry[]> {
  const beforeCursor = beforeId === undefined ? "" : "AND id < ?3";
  const statement = db.prepare(
    `SELECT id, action, version, previous_version, reverts, at FROM channel_history
     WHERE channel = ?1 ${beforeCursor} ORDER BY id DESC LIMIT ?2`,
  );
  const { results } = await (beforeId === undefined
    ? statement.bind(channel, limit)
    : statement.bind(channel, limit, beforeId)
  ).all<{
    id: number;
    action: "promote" | "rollback";
    version: string;
    previous_version: string | null;
    reverts: number | null;
    at: string;
  }>();
  return results.map((r) => ({
    id: r.id,
    action: r.action,
    version: r.version,
    previousVersion: r.previous_version,
    reverts: r.reverts,
    at: r.at,
  }));
}
