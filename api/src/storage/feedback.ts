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

/** Rows per D1 query of an export. */
const EXPORT_PAGE_SIZE = 500;

/**
 * The order an export's rows come in, and the filter it makes redundant once a page has been read
 * (the cursor is past it). With a received-day filter rows come by received day first, so the range
 * reads (received_day, day, id) in index order instead of sorting the whole range for every page.
 */
interface ExportOrder {
  columns: readonly ["day", "id"] | readonly ["received_day", "day", "id"];
  lowerBound: keyof ExportFilter;
}

export function exportOrder(filter: ExportFilter): ExportOrder {
  return filter.receivedFrom !== undefined || filter.receivedTo !== undefined
    ? { columns: ["received_day", "day", "id"], lowerBound: "receivedFrom" }
    : { columns: ["day", "id"], lowerBound: "from" };
}

/** Where an export page ends: the last row's values of its order's columns. */
export type ExportKey = string[];

type ExportRow = Record<"received_day" | "day" | "id" | "record", string>;

/** The query for one export page after `after`; the row-value cursor lets SQLite seek the index to it. */
export function exportPageQuery(
  filter: ExportFilter,
  after: ExportKey | null,
  pageSize: number,
): { sql: string; params: (string | number)[] } {
  const order = exportOrder(filter);
  const conditions: string[] = [];
  const params: (string | number)[] = [];
  for (const [field, condition] of FILTER_CONDITIONS) {
    const value = filter[field];
    if (value === undefined || (after && field === order.lowerBound)) continue;
    conditions.push(condition);
    params.push(value);
  }
  const columns = order.columns.join(", ");
  if (after) {
    conditions.push(`(${columns}) > (${order.columns.map(() => "?").join(", ")})`);
    params.push(...after);
  }
  const where = conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "";
  return {
    sql: `SELECT ${columns}, record FROM feedback ${where} ORDER BY ${columns} LIMIT ?`,
    params: [...params, pageSize],
  };
}

/**
 * Reads matching records page by page (exportOrder), so an export never holds everything in memory.
 * Every page is one D1 query of the same Worker invocation.
 */
export async function* exportFeedback(
  db: D1Database,
  filter: ExportFilter,
  pageSize = EXPORT_PAGE_SIZE,
): AsyncGenerator<string[]> {
  const { columns } = exportOrder(filter);
  let after: ExportKey | null = null;
  for (;;) {
    const { sql, params } = exportPageQuery(filter, after, pageSize);
    const { results }: D1Result<ExportRow> = await db
      .prepare(sql)
      .bind(...params)
      .all<ExportRow>();
    if (results.length === 0) return;
    yield results.map((r) => r.record);
    const last = results.at(-1);
    if (!last || results.length < pageSize) return;
    after = columns.map((column) => last[column]);
  }
}
