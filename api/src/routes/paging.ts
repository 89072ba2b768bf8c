/**
 * Keyset paging for lists that grow without bound: `?limit=N&cursor=C`, answered with the page and a
 * `nextCursor` (null on the last page). A cursor is the sort key of the last row sent, opaque to
 * clients (base64url JSON), so a page never skips or repeats a row when rows are added meanwhile.
 */
import type { Context } from "hono";
import { z } from "zod";
import { ApiError } from "../errors.js";
import { parseWith } from "../middleware/body.js";

export const MAX_PAGE_LIMIT = 100;

// Other parameters (a cache-buster, say) are ignored, as before paging.
const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).optional(),
  cursor: z.string().max(512).optional(),
});

interface PageQuery<Key> {
  limit: number;
  /** The sort key of the last row of the previous page; undefined for the first page. */
  after?: Key;
}

export interface PagedList<Row, Key> {
  /** Validates a cursor's decoded key. */
  keySchema: z.ZodType<Key>;
  defaultLimit: number;
  /** Up to `limit` rows after `after` (from the start when undefined), in the list's order. */
  read(limit: number, after: Key | undefined): Promise<Row[]>;
  /** The sort key of a row, which becomes the next page's cursor. */
  keyOf(row: Row): Key;
}

/**
 * The page that `limit` and `cursor` ask for, with the cursor of the next one (null on the last
 * page): it reads one row more than the page, whose presence says whether a next page exists.
 */
export async function readPage<Row, Key>(
  c: Context,
  list: PagedList<Row, Key>,
): Promise<{ items: Row[]; nextCursor: string | null }> {
  const { limit, after } = readPageQuery(c, list.keySchema, list.defaultLimit);
  const rows = await list.read(limit + 1, after);
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(list.keyOf(last)) : null };
}

/** Reads `limit` and `cursor`; a cursor that is not one this list handed out is a 400. */
function readPageQuery<Key>(c: Context, keySchema: z.ZodType<Key>, defaultLimit: number): PageQuery<Key> {
  const query = parseWith(PageQuerySchema, c.req.query(), "page query");
  const limit = query.limit ?? defaultLimit;
  if (query.cursor === undefined) return { limit };
  let decoded: unknown;
  try {
    decoded = JSON.parse(new TextDecoder().decode(fromBase64Url(query.cursor)));
  } catch {
    decoded = undefined;
  }
  const key = keySchema.safeParse(decoded);
  if (!key.success) throw new ApiError(400, "bad_request", "cursor is not one this list handed out");
  return { limit, after: key.data };
}

export function encodeCursor(key: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(key));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array {
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
