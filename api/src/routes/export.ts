/** Feedback export (admin): CSV (core FEEDBACK_CSV_COLUMNS, read back by core feedbackFromCsvRow) or JSONL, streamed. */
import { FEEDBACK_CSV_COLUMNS, type FeedbackRecord, feedbackToCsvRow, SEMVER_PATTERN } from "@pifu/core";
import { Hono } from "hono";
import { stream } from "hono/streaming";
import { z } from "zod";
import type { AppEnv } from "../env.js";
import { ApiError } from "../errors.js";
import { parseWith } from "../middleware/body.js";
import { exportFeedback } from "../storage/feedback.js";

export const ExportQuerySchema = z
  .strictObject({
    format: z.enum(["csv", "jsonl"]).default("csv"),
    from: z.iso.date().optional(),
    to: z.iso.date().optional(),
    modelVersion: z.string().regex(SEMVER_PATTERN, "modelVersion must be semver").optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: "from must not be after to" });

export const exportRoutes = new Hono<AppEnv>().get("/feedback/export", async (c) => {
  const query = parseWith(ExportQuerySchema, c.req.query(), "export query");
  const csv = query.format === "csv";
  if (Object.keys(c.req.queries()).some((k) => (c.req.queries(k)?.length ?? 0) > 1)) {
    throw new ApiError(400, "bad_request", "each query parameter may appear once");
  }
  c.header("content-type", csv ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8");
  c.header("content-disposition", `attachment; filename="pifu-feedback.${query.format}"`);
  c.header("cache-control", "no-store");
  return stream(c, async (out) => {
    if (csv) await out.write(`${FEEDBACK_CSV_COLUMNS.join(",")}\n`);
    for await (const page of exportFeedback(c.env.DB, query)) {
      const lines = page.map((text) => (csv ? feedbackToCsvRow(JSON.parse(text) as FeedbackRecord) : text));
      await out.write(`${lines.join("\n")}\n`);
    }
  });
});
