/**
 * The OpenAPI 3.1 document, maintained by hand next to the routes (a test checks that every route of
 * the app is in it); request schemas come from the same zod schemas the routes validate with.
 */
import { FEEDBACK_REFUSAL_CODES, FeedbackRecordSchema, ModelCardSchema } from "@pifu/core";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.js";
import { PromoteBodySchema } from "./admin-channels.js";
import { FeedbackBatchSchema } from "./feedback.js";
import { DEFAULT_MODELS_PAGE } from "./models.js";
import { MAX_PAGE_LIMIT } from "./paging.js";

type Schema = Record<string, unknown>;
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (schema: Schema) => ({ "application/json": { schema } });
const errorResponse = (description: string) => ({ description, content: jsonContent(ref("Error")) });

const pathParam = (name: string, description: string, schema: Schema = { type: "string" }) => ({
  name,
  in: "path",
  required: true,
  description,
  schema,
});
/** A YYYY-MM-DD query filter. */
const dayParameter = (name: string, description: string) => ({
  name,
  in: "query",
  description,
  schema: { type: "string", format: "date" },
});
/** `limit` and `cursor` of a paged list (routes/paging.ts). */
const pageParameters = (defaultLimit: number) => [
  {
    name: "limit",
    in: "query",
    description: `rows per page (default ${defaultLimit})`,
    schema: { type: "integer", minimum: 1, maximum: MAX_PAGE_LIMIT, default: defaultLimit },
  },
  {
    name: "cursor",
    in: "query",
    description: "the nextCursor of the previous page; omit for the first page",
    schema: { type: "string" },
  },
];
const nextCursor = { type: ["string", "null"], description: "pass as cursor for the next page; null on the last" };
const version = pathParam("version", "model version (semver)");
const fileName = pathParam("name", "file name listed in the card");
const channel = pathParam("channel", "release channel", { type: "string", enum: ["stable", "beta"] });

const common = {
  "400": errorResponse("invalid input"),
  "404": errorResponse("not found"),
};
const admin = { security: [{ adminToken: [] }], "x-admin": true };
const adminErrors = { "401": errorResponse("missing or bad admin token") };
const jsonBodyErrors = {
  "413": errorResponse("body too large"),
  "415": errorResponse("Content-Type is not application/json"),
};
const feedbackErrors = {
  "400": errorResponse("invalid JSON or record"),
  ...jsonBodyErrors,
  "429": {
    description: "rate limited; see Retry-After",
    headers: { "Retry-After": { schema: { type: "integer" } } },
    content: jsonContent(ref("Error")),
  },
};
/** The answer of POST /v1/feedback/batch: one result per record, in request order. */
const feedbackBatchResults: Schema = {
  type: "object",
  required: ["results"],
  properties: {
    results: {
      type: "array",
      items: {
        type: "object",
        required: ["index", "id", "status"],
        properties: {
          index: { type: "integer" },
          id: { type: ["string", "null"], description: "the record's id, null when it has none" },
          status: { type: "string", enum: ["created", "duplicate", "invalid"] },
          code: {
            type: "string",
            enum: [...FEEDBACK_REFUSAL_CODES],
            description:
              "with invalid: invalid_record (fails the schema), unknown_model (the version is not published; " +
              "it may be later, so the record is worth sending again), unknown_label (a label outside the version's classes)",
          },
          error: { type: "string", description: "with invalid: the reason, for people" },
        },
      },
    },
  },
};

/** The answer of PUT /v1/admin/models/{version}/card. */
const pendingModel: Schema = {
  type: "object",
  required: ["version", "status", "files", "missing"],
  properties: {
    version: { type: "string" },
    status: { const: "pending" },
    files: { type: "array", items: { type: "string" }, description: "every file of the card" },
    missing: {
      type: "array",
      items: { type: "string" },
      description:
        "the files still to upload; sending the same card again keeps the files already uploaded " +
        "(those listed with the same name, sha256 and size), so an interrupted publish resumes",
    },
  },
};

function toSchema(schema: z.ZodType): Schema {
  return z.toJSONSchema(schema, { target: "draft-2020-12", unrepresentable: "any", io: "input" }) as Schema;
}

export function buildOpenApiDocument(): Schema {
  return {
    openapi: "3.1.0",
    info: {
      title: "pifu API",
      version: "1.0.0",
      description:
        "Model registry (versions, channels, immutable files) and anonymized feedback for pifu. " +
        "pifu shows which conditions a photo resembles; it is not a diagnosis.",
    },
    components: {
      securitySchemes: { adminToken: { type: "http", scheme: "bearer" } },
      schemas: {
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["code", "message"],
              properties: { code: { type: "string" }, message: { type: "string" } },
            },
          },
        },
        ModelCard: toSchema(ModelCardSchema),
        FeedbackRecord: toSchema(FeedbackRecordSchema),
        ModelList: {
          type: "object",
          required: ["models", "nextCursor"],
          properties: {
            models: {
              type: "array",
              items: {
                type: "object",
                properties: {
                  version: { type: "string" },
                  name: { type: "string" },
                  date: { type: "string" },
                  quantization: { type: "string", enum: ModelCardSchema.shape.quantization.options },
                  completedAt: { type: "string", format: "date-time" },
                  channels: { type: "array", items: { type: "string" } },
                },
              },
            },
            nextCursor,
          },
        },
        ChannelHistory: {
          type: "object",
          required: ["channel", "current", "history", "nextCursor"],
          properties: {
            channel: { type: "string" },
            current: { type: ["string", "null"] },
            history: {
              type: "array",
              items: {
                type: "object",
                properties: {
                  id: { type: "integer" },
                  action: { type: "string", enum: ["promote", "rollback"] },
                  version: { type: "string" },
                  previousVersion: { type: ["string", "null"] },
                  reverts: { type: ["integer", "null"] },
                  at: { type: "string", format: "date-time" },
                },
              },
            },
            nextCursor,
          },
        },
        ChannelMove: {
          type: "object",
          properties: {
            channel: { type: "string" },
            version: { type: "string" },
            previousVersion: { type: ["string", "null"] },
          },
        },
      },
    },
    paths: {
      "/v1/health": { get: { summary: "Liveness", responses: { "200": { description: "ok" } } } },
      "/v1/openapi.json": { get: { summary: "This document", responses: { "200": { description: "OpenAPI 3.1" } } } },
      "/v1/models": {
        get: {
          summary: "Published versions with their channel labels, newest published first, a page at a time",
          parameters: pageParameters(DEFAULT_MODELS_PAGE),
          responses: {
            "200": { description: "{ models, nextCursor }", content: jsonContent(ref("ModelList")) },
            "400": errorResponse("bad limit or cursor"),
          },
        },
      },
      "/v1/channels/{channel}": {
        get: {
          summary: "The card of the channel's current version",
          parameters: [channel],
          responses: {
            "200": { description: "model card", content: jsonContent(ref("ModelCard")) },
            "304": { description: "not modified (If-None-Match)" },
            "404": errorResponse("no such channel, or nothing published on it"),
          },
        },
      },
      "/v1/models/{version}/card": {
        get: {
          summary: "The card of a published version (immutable)",
          parameters: [version],
          responses: { "200": { description: "model card", content: jsonContent(ref("ModelCard")) }, ...common },
        },
      },
      "/v1/models/{version}/files/{name}": {
        get: {
          summary: "A model file, streamed; ETag is its sha256, cached as immutable",
          parameters: [version, fileName],
          responses: {
            "200": { description: "file bytes", content: { "application/octet-stream": {}, "application/json": {} } },
            "304": { description: "not modified (If-None-Match)" },
            ...common,
          },
        },
      },
      "/v1/feedback": {
        post: {
          summary: "Send one feedback record (idempotent by id)",
          requestBody: { required: true, content: jsonContent(ref("FeedbackRecord")) },
          responses: {
            "201": { description: "stored: { record }" },
            "200": { description: "already stored: { record, duplicate: true }" },
            ...feedbackErrors,
            "422": errorResponse("the model version is not published, or a label is not one of its classes"),
          },
        },
      },
      "/v1/feedback/batch": {
        post: {
          summary: "Send up to 100 feedback records; a status per record",
          requestBody: {
            required: true,
            content: jsonContent({
              ...toSchema(FeedbackBatchSchema),
              description:
                "records may hold anything: each is checked as a FeedbackRecord on its own, and one that is not " +
                "is answered invalid in the results rather than refusing the batch",
            }),
          },
          responses: {
            "200": {
              description:
                "a status per record; a record that fails the schema, names an unpublished version or a label " +
                "outside that version's classes is invalid (with its code and reason), the others are stored",
              content: jsonContent(feedbackBatchResults),
            },
            ...feedbackErrors,
          },
        },
      },
      "/v1/feedback/export": {
        get: {
          ...admin,
          summary: "Export feedback as CSV or JSONL (streamed)",
          parameters: [
            { name: "format", in: "query", schema: { type: "string", enum: ["csv", "jsonl"], default: "csv" } },
            dayParameter("from", "client day, inclusive"),
            dayParameter("to", "client day, inclusive"),
            dayParameter("receivedFrom", "UTC day the API received the record, inclusive (for incremental exports)"),
            dayParameter("receivedTo", "UTC day the API received the record, inclusive"),
            { name: "modelVersion", in: "query", schema: { type: "string" } },
          ],
          responses: {
            "200": {
              description: "CSV or JSONL; a failure after the first rows aborts the transfer (never a clean end)",
              content: { "text/csv": {}, "application/x-ndjson": {} },
            },
            "400": common["400"],
            ...adminErrors,
          },
        },
      },
      "/v1/admin/models/{version}/card": {
        put: {
          ...admin,
          summary: "Create (or restart) a pending, invisible version from its card",
          parameters: [version],
          requestBody: { required: true, content: jsonContent(ref("ModelCard")) },
          responses: {
            "201": { description: "pending", content: jsonContent(pendingModel) },
            ...common,
            ...adminErrors,
            "409": errorResponse("version already published"),
            ...jsonBodyErrors,
          },
        },
      },
      "/v1/admin/models/{version}/files/{name}": {
        put: {
          ...admin,
          summary: "Upload one file of a pending version; checked against the card's size and sha256",
          parameters: [version, fileName],
          requestBody: { required: true, content: { "application/octet-stream": {} } },
          responses: {
            "200": { description: "stored" },
            ...common,
            ...adminErrors,
            "409": errorResponse("version already published"),
            "413": errorResponse("longer than the card's size for the file"),
            "415": errorResponse("Content-Type is not application/octet-stream"),
            "422": errorResponse("shorter than the card's size for the file, or another sha256"),
          },
        },
      },
      "/v1/admin/models/{version}/complete": {
        post: {
          ...admin,
          summary: "Verify every file and the model.json manifest, then make the version visible",
          parameters: [version],
          responses: {
            "200": { description: "complete" },
            ...common,
            ...adminErrors,
            "409": errorResponse("already published or files missing"),
            "422": errorResponse("model.json does not match the files"),
          },
        },
      },
      "/v1/admin/channels/{channel}": {
        post: {
          ...admin,
          summary: "Promote a published version to the channel",
          parameters: [channel],
          requestBody: { required: true, content: jsonContent(toSchema(PromoteBodySchema)) },
          responses: {
            "200": { description: "moved", content: jsonContent(ref("ChannelMove")) },
            ...common,
            ...adminErrors,
            ...jsonBodyErrors,
          },
        },
      },
      "/v1/admin/channels/{channel}/rollback": {
        post: {
          ...admin,
          summary: "Undo the channel's latest promote",
          parameters: [channel],
          responses: {
            "200": { description: "moved", content: jsonContent(ref("ChannelMove")) },
            ...common,
            ...adminErrors,
            "409": errorResponse("nothing to roll back to"),
          },
        },
      },
      "/v1/admin/channels/{channel}/history": {
        get: {
          ...admin,
          summary: "The channel's moves, newest first, a page at a time",
          parameters: [channel, ...pageParameters(MAX_PAGE_LIMIT)],
          responses: {
            "200": {
              description: "{ channel, current, history, nextCursor }",
              content: jsonContent(ref("ChannelHistory")),
            },
            ...common,
            ...adminErrors,
          },
        },
      },
    },
  };
}

let cached: Schema | undefined;

export const openApiRoutes = new Hono<AppEnv>().get("/openapi.json", (c) => {
  cached ??= buildOpenApiDocument();
  return c.json(cached);
});
