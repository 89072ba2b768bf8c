/**
 * Anonymized feedback: one record or a batch of up to 100. The client's UUID is the idempotency key:
 * resending a record writes nothing and returns the stored one. A record must name a published
 * model and use only that model's labels (feedback-model.ts).
 */
import {
  type FeedbackBatchResult,
  type FeedbackRecord,
  FeedbackRecordSchema,
  type FeedbackRefusalCode,
} from "@pifu/core";
import { type Context, Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.js";
import { ApiError } from "../errors.js";
import { describeIssues, parseWith, readJson, requireContentType, requireJsonBody } from "../middleware/body.js";
import { checkCount, countStatement, feedbackRateLimit, rateLimited, rateWindow } from "../middleware/rate-limit.js";
import { insertFeedback, insertFeedbackBatch } from "../storage/feedback.js";
import { publishedCard, publishedCards } from "../storage/published-cards.js";
import { modelMismatch } from "./feedback-model.js";

export const MAX_BATCH_RECORDS = 100;
export const MAX_FEEDBACK_BYTES = 16 * 1024;
export const MAX_BATCH_BYTES = 512 * 1024;

export const FeedbackBatchSchema = z.strictObject({
  records: z.array(z.unknown()).min(1).max(MAX_BATCH_RECORDS),
});

function idOf(raw: unknown): string | null {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof id === "string" ? id.slice(0, 64) : null;
}

function invalid(index: number, id: string | null, code: FeedbackRefusalCode, error: string): FeedbackBatchResult {
  return { index, id, status: "invalid", code, error };
}

async function readRecord(c: Context<AppEnv>): Promise<FeedbackRecord> {
  requireJsonBody(c);
  const record = parseWith(FeedbackRecordSchema, await readJson(c, MAX_FEEDBACK_BYTES), "feedback record");
  const mismatch = modelMismatch(record, await publishedCard(c.env.DB, record.modelVersion));
  if (mismatch) throw new ApiError(422, mismatch.code, mismatch.message);
  return record;
}

export const feedbackRoutes = new Hono<AppEnv>()
  .post("/feedback", async (c) => {
    const w = await rateWindow(c);
    let record: FeedbackRecord;
    try {
      record = await readRecord(c);
    } catch (error) {
      // A rejected request still counts towards the client's limit.
      const row = await countStatement(c.env.DB, w).first<{ count: number }>();
      checkCount(c, w, row?.count ?? 1);
      throw error;
    }
    const counted = {
      count: countStatement(c.env.DB, w),
      client: w.client,
      windowStart: w.windowStart,
      limit: w.limit,
    };
    const result = await insertFeedback(c.env.DB, record, counted);
    checkCount(c, w, result.count);
    if (result.status === "limited") throw rateLimited(w);
    return result.status === "created"
      ? c.json({ record: result.stored }, 201)
      : c.json({ record: result.stored, duplicate: true }, 200);
  })
  .post("/feedback/batch", feedbackRateLimit(), requireContentType("application/json"), async (c) => {
    const { records } = parseWith(FeedbackBatchSchema, await readJson(c, MAX_BATCH_BYTES), "feedback batch");
    const results: FeedbackBatchResult[] = [];
    const parsed: { index: number; record: FeedbackRecord }[] = [];
    records.forEach((raw, index) => {
      const result = FeedbackRecordSchema.safeParse(raw);
      if (!result.success) {
        results[index] = invalid(index, idOf(raw), "invalid_record", describeIssues(result.error));
        return;
      }
      parsed.push({ index, record: result.data });
    });
    const versions = parsed.map((p) => p.record.modelVersion);
    const cards = await publishedCards(c.env.DB, versions);
    const valid = parsed.filter(({ index, record }) => {
      const mismatch = modelMismatch(record, cards.get(record.modelVersion) ?? null);
      if (mismatch) results[index] = invalid(index, record.id, mismatch.code, mismatch.message);
      return !mismatch;
    });
    const statuses = await insertFeedbackBatch(
      c.env.DB,
      valid.map((v) => v.record),
    );
    valid.forEach(({ index, record }, i) => {
      results[index] = { index, id: record.id, status: statuses[i] ?? "duplicate" };
    });
    return c.json({ results });
  });
