/** Public model registry: list, cards, channel cards and immutable file downloads. */
import { fileProblem } from "@pifu/core";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.js";
import { ApiError } from "../errors.js";
import { channelCard } from "../storage/channels.js";
import { contentTypeFor, fileKey, legacyFileKey } from "../storage/files.js";
import { Memo } from "../storage/memo.js";
import { type FileRow, getServedFile, type ListedModelKey, listCompleteModels } from "../storage/models.js";
import { publishedCard } from "../storage/published-cards.js";
import { storedObject } from "../storage/stored-files.js";
import { matchesIfNoneMatch, strongEtag } from "./etag.js";
import { readPage } from "./paging.js";
import { channelParam, fileNameParam, versionParam } from "./params.js";

const IMMUTABLE = "public, max-age=31536000, immutable";
export const DEFAULT_MODELS_PAGE = 50;
const ListedModelKeySchema: z.ZodType<ListedModelKey> = z.strictObject({
  completedAt: z.string(),
  version: z.string(),
});

/**
 * A channel may be up to CHANNEL_CARD_TTL_MS stale in an isolate that did not make the move itself
 * (promote and rollback clear this isolate's entry); published versions never change, so their
 * file metadata (and, in storage/published-cards.ts, their cards) are kept until evicted.
 */
export const CHANNEL_CARD_TTL_MS = 5_000;
export const channelCards = new Memo<{ version: string; card: string } | null>({
  ttlMs: CHANNEL_CARD_TTL_MS,
  maxEntries: 8,
});
const publishedFiles = new Memo<FileRow | null>({ ttlMs: 3_600_000, maxEntries: 1024 });
const found = <T>(value: T | null) => value !== null;
const json = "application/json; charset=utf-8";

/** Legacy keys found to hold their card's bytes; nothing writes those keys any more. */
const verifiedLegacyKeys = new Memo<true>({ ttlMs: 3_600_000, maxEntries: 1024 });

/**
 * A file stored under its legacy key (storage/files.ts), served under the card's sha256 only once its
 * bytes are known to have it: that key was not content-addressed, so a stale upload could overwrite it.
 */
async function legacyObject(bucket: R2Bucket, version: string, file: FileRow): Promise<R2ObjectBody | null> {
  const key = legacyFileKey(version, file.name);
  if (!verifiedLegacyKeys.get(key)) {
    const problem = await fileProblem(file, await storedObject(bucket, key));
    if (problem?.problem === "missing") return null;
    if (problem) {
      console.error(`refusing to serve ${key}: ${problem.message}`);
      throw new ApiError(
        500,
        "internal",
        `model ${version} file ${file.name} in storage does not match its card (${problem.message}); publish the model again`,
      );
    }
    verifiedLegacyKeys.set(key, true);
  }
  return bucket.get(key);
}

export const modelRoutes = new Hono<AppEnv>()
  .get("/models", async (c) => {
    const { items, nextCursor } = await readPage(c, {
      keySchema: ListedModelKeySchema,
      defaultLimit: DEFAULT_MODELS_PAGE,
      read: (limit, after) => listCompleteModels(c.env.DB, { limit, after }),
      keyOf: ({ completedAt, version }) => ({ completedAt, version }),
    });
    c.header("cache-control", "no-cache");
    return c.json({ models: items, nextCursor });
  })
  .get("/channels/:channel", async (c) => {
    const channel = channelParam(c.req.param("channel"));
    const current = await channelCards.getOrLoad(channel, () => channelCard(c.env.DB, channel));
    if (!current) throw new ApiError(404, "not_found", `no model is published on the ${channel} channel`);
    // A version's card never changes, so the version is a valid ETag for the channel's card.
    const etag = strongEtag(`card-${current.version}`);
    const headers = { etag, "cache-control": "no-cache", "x-pifu-model-version": current.version };
    if (matchesIfNoneMatch(c.req.header("if-none-match"), etag)) return c.body(null, 304, headers);
    return c.body(current.card, 200, { ...headers, "content-type": json });
  })
  .get("/models/:version/card", async (c) => {
    const version = versionParam(c.req.param("version"));
    const card = await publishedCard(c.env.DB, version);
    if (!card) throw new ApiError(404, "not_found", `model ${version} is not published`);
    return c.body(card.text, 200, { "content-type": json, "cache-control": IMMUTABLE });
  })
  .get("/models/:version/files/:name", async (c) => {
    const version = versionParam(c.req.param("version"));
    const name = fileNameParam(c.req.param("name"));
    const file = await publishedFiles.getOrLoad(
      `${version}/${name}`,
      () => getServedFile(c.env.DB, version, name),
      found,
    );
    if (!file) throw new ApiError(404, "not_found", `model ${version} has no published file ${name}`);
    const etag = strongEtag(file.sha256);
    const headers = { etag, "cache-control": IMMUTABLE, "x-content-sha256": file.sha256 };
    if (matchesIfNoneMatch(c.req.header("if-none-match"), etag)) return c.body(null, 304, headers);
    const object =
      (await c.env.MODELS.get(fileKey(version, file))) ?? (await legacyObject(c.env.MODELS, version, file));
    if (!object) throw new ApiError(404, "not_found", `model ${version} file ${name} is missing from storage`);
    return c.body(object.body, 200, {
      ...headers,
      "content-type": contentTypeFor(name),
      "content-length": String(object.size),
    });
  });
