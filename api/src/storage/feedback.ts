/** D1 queries for feedback records: idempotent inserts keyed by the client's UUID, and paged export reads. */
import type { FeedbackRecord } from "@pifu/core";

export type InsertStatus = "created" | "duplicate";

function insertStatement(db: D1Database, record: FeedbackRecord, receivedDay: string): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO feedback (id, day, model_version, record, received_day) VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT (id) DO NOTHING`,
    )
    .bind(record.id, record.day, record.modelVersion, JSON.stringify(record), receivedDay);
}

const today = () => new Date().toISOString().slice(0, 10);

/** A rate-limit counter to bump in the same transaction; the insert only happens within `limit`. */
export interface CountedBy {
  count: D1PreparedStatement;
  client: string;
  windowStart: number;
  limit: number;
}

export type SingleInsert =
  | { status: InsertStatus; stored: FeedbackRecord; count: number }
  | { status: "limited"; count: number };

/**
 * Counts the request, inserts the record unless its id exists or the client is over its limit, and
 * reads back the stored record: one D1 round trip (one transaction) for the whole request.
 */
export async function insertFeedback(
  db: D1Database,
  record: FeedbackRecord,
  counted: CountedBy,
): Promise<SingleInsert> {
  const [count, insert, select] = await db.batch([
    counted.count,
    db
      .prepare(
        `INSERT INTO feedback (id, day, model_version, record, received_day)
         SELECT ?1, ?2, ?3, ?4, ?5
         WHERE (SELECT count FROM rate_limits WHERE client = ?6 AND window_start = ?7) <= ?8
         ON CONFLICT (id) DO NOTHING`,
      )
      .bind(
        record.id,
        record.day,
        record.modelVersion,
        JSON.stringify(record),
        today(),
        counted.client,
        counted.windowStart,
        counted.limit,
      ),
    db.prepare("SELECT record FROM feedback WHERE id = ?1").bind(record.id),
  ]);
  const requests = (count?.results[0] as { count: number } | undefined)?.count ?? 1;
  if (requests > counted.limit) return { status: "limited", count: requests };
  const storedText = (select?.results[0] as { record: string } | undefined)?.record;
  const stored = storedText ? (JSON.parse(storedText) as FeedbackRecord) : record;
  return { status: (insert?.meta.changes ?? 0) > 0 ? "created" : "duplicate", stored, count: requests };
}

/** Inserts many records in one transaction; statuses in input order (a repeated id is a duplicate). */
export async function insertFeedbackBatch(db: D1Database, records: FeedbackRecord[]): Promise<InsertStatus[]> {
  if (records.length === 0) return [];
  const day = today();
  const results = await db.batch(records.map((r) => insertStatement(db, r, day)));
  return results.map((r) => ((r.meta.changes ?? 0) > 0 ? "created" : "duplicate"));
}

export interface ExportFilter {
  /** Client day (when the feedback was given), inclusive. */
  from?: string;
  to?: string;
  /** UTC day the API received the record, inclusive: a late sync lands on a later day, never on an exported one. */
  receivedFrom?: string;
  receivedTo?: string;
  modelVersion?: string;
}

/** Each filter field's condition; only the fields given become SQL, so D1 can use the matching index. */
const FILTER_CONDITIONS: [keyof ExportFilter, string][] = [
  ["from", "day >= ?"],
  ["to", "day <= ?"],
  ["receivedFrom", "received_day >= ?"],
  ["receivedTo", "received_day <= ?"],
  ["modelVersion", "model_version = ?"],
];

interface ExportRow {
  day: string;
  id: string;
  record: string;
}

/** Reads matching records page by page in (day, id) order, so an export never holds everything in memory. */
export async function* exportFeedback(db: D1Database, filter: ExportFilter, pageSize = 500): AsyncGenerator<string[]> {
  const conditions: string[] = [];
  const values: string[] = [];
  for (const [field, condition] of FILTER_CONDITIONS) {
    const value = filter[field];
    if (value === undefined) continue;
    conditions.push(condition);
    values.push(value);
  }
  let after: { day: string; id: string } | null = null;
  for (;;) {
    const where: string[] = after ? [...conditions, "(day > ? OR (day = ? AND id > ?))"] : conditions;
    const params: (string | number)[] = after ? [...values, after.day, after.day, after.id] : values;
    const sql = `SELECT day, id, record FROM feedback ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
       ORDER BY day, id LIMIT ?`;
    const page: D1Result<ExportRow> = await db
      .prepare(sql)
      .bind(...params, pageSize)
      .all<ExportRow>();
    const results = page.results;
    if (results.length === 0) return;
    yield results.map((r) => r.record);
    const last = results.at(-1);
    if (!last || results.length < pageSize) return;
    after = { day: last.day, id: last.id };
  }
}
