/** The one error shape, `{ "error": { "code", "message" } }`, and the handlers that produce it. */
import type { FeedbackRefusalCode } from "@pifu/core";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export type ErrorCode =
  | "bad_request"
  | "invalid_json"
  | "invalid_body"
  | "unauthorized"
  | "not_found"
  | "method_not_allowed"
  | "conflict"
  | "payload_too_large"
  | "unsupported_media_type"
  | "file_mismatch"
  | "invalid_model"
  /** invalid_record, unknown_model, unknown_label (core FEEDBACK_REFUSAL_CODES): why feedback was refused. */
  | FeedbackRefusalCode
  | "rate_limited"
  | "internal";

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

export function errorBody(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

/** An HTTP error that renders itself in the one error shape. */
export class ApiError extends HTTPException {
  readonly code: ErrorCode;

  constructor(status: ContentfulStatusCode, code: ErrorCode, message: string, headers?: Record<string, string>) {
    super(status, {
      message,
      res: new Response(JSON.stringify(errorBody(code, message)), {
        status,
        headers: { "content-type": "application/json; charset=utf-8", ...headers },
      }),
    });
    this.code = code;
  }
}

const codeForStatus: Partial<Record<number, ErrorCode>> = {
  400: "bad_request",
  401: "unauthorized",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
};

export function onError(err: Error, c: Context): Response {
  if (err instanceof ApiError) return err.getResponse();
  if (err instanceof HTTPException && err.status < 500) {
    const code = codeForStatus[err.status] ?? "bad_request";
    return c.json(errorBody(code, err.message || code), err.status);
  }
  console.error("unhandled error", err);
  return c.json(errorBody("internal", "internal error"), 500);
}

export function notFound(c: Context): Response {
  return c.json(errorBody("not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`), 404);
}
