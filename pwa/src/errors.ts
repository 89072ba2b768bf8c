/** Errors turned into what the user reads. */

import { StorageHeldError, StorageSupersededError } from "./db.js";
import type { Translate } from "./i18n/index.js";
import type { Said } from "./i18n/message.js";
import { PhotoDecodeError, PhotoTooLargeError } from "./image/decode.js";
import { ReleasedError } from "./model/lease.js";
import { ModelCardInvalidError, ModelFilesMismatchError } from "./model/sources.js";
import { DownloadStalledError, HttpStatusError, NetworkError } from "./net.js";

/** The message a failed photo check shows, in the user's language. */
export function checkErrorMessage(error: unknown, t: Translate): string {
  if (error instanceof PhotoTooLargeError) {
    const { kind, size, limit } = error.problem;
    return t(kind === "pixels" ? "photoTooManyPixels" : "photoTooManyBytes", { size, limit });
  }
  if (error instanceof PhotoDecodeError) return t(error.heic ? "decodeHeic" : "decodeFailed");
  return t("checkFailed", { error: errorText(error, t) });
}

/** DOMException names (QuotaExceededError, TimeoutError, AbortError) with a message of their own. */
const BY_NAME = {
  QuotaExceededError: "errorStorageFull",
  TimeoutError: "errorTimeout",
  AbortError: "errorAborted",
} as const;

/**
 * DOMException names that IndexedDB gives when the browser's storage fails or refuses a request
 * (UnknownError for a broken backing store, InvalidStateError for a closed connection, NotReadableError
 * or NotFoundError for a stored photo it cannot read back, …). pifu's other DOMExceptions (a photo the
 * browser cannot decode, a request's time limit) are handled before they get here or named above.
 */
const STORAGE_NAMES = new Set([
  "UnknownError",
  "InvalidStateError",
  "NotFoundError",
  "NotReadableError",
  "DataError",
  "DataCloneError",
  "ConstraintError",
  "ReadOnlyError",
  "TransactionInactiveError",
  "VersionError",
  "InvalidAccessError",
  "SecurityError",
]);

/**
 * An error in the user's language where pifu knows its kind; the English detail only where it names
 * what a person fixing it needs (which model file does not match). Other errors give their message,
 * and a thrown value that is not an Error itself.
 */
export function errorText(error: unknown, t: Translate): string {
  if (error instanceof StorageHeldError) return t("storageHeld");
  if (error instanceof StorageSupersededError) return t("storageSuperseded");
  if (error instanceof ReleasedError) return t("errorModelReplaced");
  if (error instanceof HttpStatusError) return t("errorHttp", { status: error.status });
  if (error instanceof NetworkError) return t("errorNetwork");
  if (error instanceof DownloadStalledError) return t("errorDownloadStalled", { seconds: error.seconds });
  if (error instanceof ModelCardInvalidError) return t("errorCardInvalid");
  if (error instanceof ModelFilesMismatchError) return t("errorModelFiles", { detail: error.message });
  const name = (error as { name?: unknown } | null)?.name;
  if (typeof name === "string" && name in BY_NAME) return t(BY_NAME[name as keyof typeof BY_NAME]);
  if (error instanceof DOMException && STORAGE_NAMES.has(error.name)) return t("errorStorage");
  return error instanceof Error ? error.message : String(error);
}

/** An error, said in the language in use when it shows. */
export const errorSaid =
  (error: unknown): Said =>
  (t) =>
    errorText(error, t);
