/** Channel moves (admin): promote a complete version, roll back, read the history. */
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.js";
import { ApiError } from "../errors.js";
import { parseWith, readJson, requireContentType } from "../middleware/body.js";
import { currentVersion, history, promote, rollback } from "../storage/channels.js";
import { getModel } from "../storage/models.js";
import { channelCards } from "./models.js";
import { MAX_PAGE_LIMIT, readPage } from "./paging.js";
import { channelParam, versionParam } from "./params.js";

export const PromoteBodySchema = z.strictObject({ version: z.string() });
const HistoryKeySchema = z.strictObject({ id: z.number().int().positive() });

export const adminChannelRoutes = new Hono<AppEnv>()
  .post("/channels/:channel", requireContentType("application/json"), async (c) => {
    const channel = channelParam(c.req.param("channel"));
    const version = versionParam(parseWith(PromoteBodySchema, await readJson(c, 4096), "promote request").version);
    const model = await getModel(c.env.DB, version);
    if (model?.status !== "complete") throw new ApiError(404, "not_found", `model ${version} is not published`);
    const move = await promote(c.env.DB, channel, version);
    channelCards.delete(channel);
    return c.json(move);
  })
  .post("/channels/:channel/rollback", async (c) => {
    const channel = channelParam(c.req.param("channel"));
    const result = await rollback(c.env.DB, channel);
    channelCards.delete(channel);
    if (!result.ok) {
      const message =
        result.reason === "nothing"
          ? `the ${channel} channel has no earlier version to roll back to`
          : `the ${channel} channel moved while rolling back; retry`;
      throw new ApiError(409, "conflict", message);
    }
    return c.json(result.move);
  })
  .get("/channels/:channel/history", async (c) => {
    const channel = channelParam(c.req.param("channel"));
    const { items, nextCursor } = await readPage(c, {
      keySchema: HistoryKeySchema,
      defaultLimit: MAX_PAGE_LIMIT,
      read: (limit, after) => history(c.env.DB, channel, { limit, beforeId: after?.id }),
      keyOf: ({ id }) => ({ id }),
    });
    return c.json({ channel, current: await currentVersion(c.env.DB, channel), history: items, nextCursor });
  });
