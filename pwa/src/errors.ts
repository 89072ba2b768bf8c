/** Errors turned into what the user reads. */

import { StorageHeldError, StorageSupersededError } from "./db.js";
import type { Translate } from "./i18n/index.js";
import { PhotoDecodeError, PhotoTooLargeError } from "./image/decode.js";

/** The message a failed photo check shows, in the user's language. */
export function checkErrorMessage(error: unknown, t: Translate): string {
  if (error instanceof PhotoTooLargeError) {
    const { kind, size, limit } = error.problem;
    return t(kind === "pixels" ? "photoTooManyPixels" : "photoTooManyBytes", { size, limit });
  }
  if (error instanceof PhotoDecodeError) return t("decodeFailed");
  return t("checkFailed", { error: errorText(error, t) });
}

/** An error's message (in the user's language where pifu knows it), or the thrown value itself when it is not an Error. */
export function errorText(error: unknown, t: Translate): string {
  if (error instanceof StorageHeldError) return t("storageHeld");
  if (error instanceof StorageSupersededError) return t("storageSuperseded");
  return error instanceof Error ? error.message : String(error);
}
