/**
 * Cards of published versions, kept per isolate for an hour: a version's card never changes once it
 * is complete, so the card route and the feedback checks skip a D1 round trip on the hot path.
 */
import type { ModelCard } from "@pifu/core";
import { Memo } from "./memo.js";
import { getCompleteCardTexts } from "./models.js";

export interface PublishedCard {
  version: string;
  /** The card as stored (JSON text), served as is. */
  text: string;
  /** The card's class ids: the only labels feedback for this version may use. */
  classIds: ReadonlySet<string>;
}

const cards = new Memo<PublishedCard>({ ttlMs: 3_600_000, maxEntries: 256 });

function toPublished(version: string, text: string): PublishedCard {
  const card = JSON.parse(text) as ModelCard;
  return { version, text, classIds: new Set(card.classes.map((c) => c.id)) };
}

/**
 * The cards of several versions (null for one not published), those not in this isolate's memo read
 * in one D1 query. A miss is not kept, so a version published later is found.
 */
export async function publishedCards(
  db: D1Database,
  versions: Iterable<string>,
): Promise<Map<string, PublishedCard | null>> {
  const found = new Map<string, PublishedCard | null>();
  const unknown: string[] = [];
  for (const version of new Set(versions)) {
    const cached = cards.get(version);
    if (cached) found.set(version, cached);
    else unknown.push(version);
  }
  const texts = await getCompleteCardTexts(db, unknown);
  for (const version of unknown) {
    const text = texts.get(version);
    found.set(version, text === undefined ? null : cards.set(version, toPublished(version, text)));
  }
  return found;
}

/** The card of a complete version, or null. */
export async function publishedCard(db: D1Database, version: string): Promise<PublishedCard | null> {
  return (await publishedCards(db, [version])).get(version) ?? null;
}
