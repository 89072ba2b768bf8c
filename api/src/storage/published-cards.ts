/**
 * Cards of published versions, kept per isolate for an hour: a version's card never changes once it
 * is complete, so the card route and the feedback checks skip a D1 round trip on the hot path.
 */
import type { ModelCard } from "@pifu/core";
import { Memo } from "./memo.js";
import { getCompleteCardText } from "./models.js";

export interface PublishedCard {
  version: string;
  /** The card as stored (JSON text), served as is. */
  text: string;
  /** The card's class ids: the only labels feedback for this version may use. */
  classIds: ReadonlySet<string>;
}

const cards = new Memo<PublishedCard | null>({ ttlMs: 3_600_000, maxEntries: 256 });

/** The card of a complete version, or null; a miss is not cached, so a version published later is found. */
export function publishedCard(db: D1Database, version: string): Promise<PublishedCard | null> {
  const load = async () => {
    const text = await getCompleteCardText(db, version);
    if (text === null) return null;
    const card = JSON.parse(text) as ModelCard;
    return { version, text, classIds: new Set(card.classes.map((c) => c.id)) };
  };
  return cards.getOrLoad(version, load, (card) => card !== null);
}

/** The cards of several versions, each looked up once (a batch of feedback names few versions). */
export async function publishedCards(
  db: D1Database,
  versions: Iterable<string>,
): Promise<Map<string, PublishedCard | null>> {
  const unique = [...new Set(versions)];
  const found = await Promise.all(unique.map((version) => publishedCard(db, version)));
  return new Map(unique.map((version, i) => [version, found[i] ?? null]));
}
