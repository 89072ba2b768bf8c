/** Request body checks shared by the routes: content type (415), size (413), JSON parsing and schema validation (400). */
import type { Context, MiddlewareHandler } from "hono";
import { type ZodType, z } from "zod";
import { ApiError } from "../errors.js";

/** 415 unless the request's media type is `mediaType` (parameters such as charset are allowed). */
export function checkContentType(c: Context, mediaType: string): void {
  const actual = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (actual !== mediaType) {
    throw new ApiError(415, "unsupported_media_type", `Content-Type must be ${mediaType}, got ${actual ?? "none"}`);
  }
}

export function requireJsonBody(c: Context): void {
  checkContentType(c, "application/json");
}

export function requireContentType(mediaType: string): MiddlewareHandler {
  return async (c, next) => {
    checkContentType(c, mediaType);
    await next();
  };
}

/**
 * The request body, at most `maxBytes`: 413 from Content-Length up front, or while reading a body
 * sent without one (the read stops as soon as the limit is passed). The chunks are copied into one
 * buffer as they arrive (sized by Content-Length, else `maxBytes`), so a body is held once, not twice.
 */
export async function readBody(c: Context, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const tooLarge = () => new ApiError(413, "payload_too_large", `request body is larger than ${maxBytes} bytes`);
  const declared = Number(c.req.header("content-length") ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge();
  const body = c.req.raw.body;
  if (!body) return new Uint8Array(0);
  let buffer = new Uint8Array(Number.isInteger(declared) && declared >= 0 ? declared : maxBytes);
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    if (size + value.byteLength > buffer.byteLength) {
      // More than Content-Length said: the runtime normally refuses that before it gets here.
      const larger = new Uint8Array(maxBytes);
      larger.set(buffer.subarray(0, size));
      buffer = larger;
    }
    buffer.set(value, size);
    size += value.byteLength;
  }
  return buffer.subarray(0, size);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The request body (at most `maxBytes`) parsed as JSON; 400 invalid_json when it is not UTF-8 JSON. */
export async function readJson(c: Context, maxBytes: number): Promise<unknown> {
  const bytes = await readBody(c, maxBytes);
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch {
    throw new ApiError(400, "invalid_json", "request body is not valid JSON");
  }
}

/** Validates `value` with `schema`; 400 invalid_body listing every problem when it does not match. */
export function parseWith<T>(schema: ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ApiError(400, "invalid_body", `invalid ${what}: ${describeIssues(result.error)}`);
  return result.data;
}

export function describeIssues(error: z.ZodError): string {
  return z.prettifyError(error).replaceAll("\n", " ");
}
