/** Feedback export (admin): CSV (core FEEDBACK_CSV_COLUMNS, read back by core feedbackFromCsvRow) or JSONL, streamed. */
import { FEEDBACK_CSV_COLUMNS, type FeedbackRecord, feedbackToCsvRow, SEMVER_PATTERN } from "@pifu/core";
import { Hono } from "hono";
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
    receivedFrom: z.iso.date().optional(),
    receivedTo: z.iso.date().optional(),
    modelVersion: z.string().regex(SEMVER_PATTERN, "modelVersion must be semver").optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: "from must not be after to" })
  .refine((q) => !q.receivedFrom || !q.receivedTo || q.receivedFrom <= q.receivedTo, {
    message: "receivedFrom must not be after receivedTo",
  });

/**
 * The export's body, one chunk per page, read from D1 only as the client reads. The first page is
 * read before answering, so a query that fails at once is a plain 500; a failure after that errors
 * the body, which aborts the transfer: the client sees a broken download, never a file that looks complete.
 */
async function exportBody(
  pages: AsyncGenerator<string[]>,
  head: string,
  toLine: (text: string) => string,
): Promise<ReadableStream<Uint8Array>> {
  const encoder = new TextEncoder();
  let firstPage: IteratorResult<string[]> | undefined = await pages.next();
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (head) controller.enqueue(encoder.encode(head));
      },
      async pull(controller) {
        try {
          const page = firstPage ?? (await pages.next());
          firstPage = undefined;
          if (page.done) controller.close();
          else controller.enqueue(encoder.encode(`${page.value.map(toLine).join("\n")}\n`));
        } catch (error) {
          console.error("feedback export failed mid-stream", error);
          controller.error(error);
        }
      },
      async cancel() {
        await pages.return(undefined);
      },
    },
    // No read-ahead: the next page is queried when the client asks for it.
    { highWaterMark: 0 },
  );
}

export const exportRoutes = new Hono<AppEnv>().get("/feedback/export", async (c) => {
  const query = parseWith(ExportQuerySchema, c.req.query(), "export query");
  const csv = query.format === "csv";
  if (Object.keys(c.req.queries()).some((k) => (c.req.queries(k)?.length ?? 0) > 1)) {
    throw new ApiError(400, "bad_request", "each query parameter may appear once");
  }
  const body = await exportBody(
    exportFeedback(c.env.DB, query),
    csv ? `${FEEDBACK_CSV_COLUMNS.join(",")}\n` : "",
    csv ? (text) => feedbackToCsvRow(JSON.parse(text) as FeedbackRecord) : (text) => text,
  );
  return c.body(body, 200, {
    "content-type": csv ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
    "content-disposition": `attachment; filename="pifu-feedback.${query.format}"`,
    "cache-control": "no-store",
  });
});
