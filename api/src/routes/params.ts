/** Path parameters checked before they reach D1 or R2. */
import { MODEL_FILE_NAME_PATTERN, SEMVER_PATTERN } from "@pifu/core";
import { ApiError } from "../errors.js";
import { CHANNELS, type Channel, isChannel } from "../storage/channels.js";

export function versionParam(value: string): string {
  if (!SEMVER_PATTERN.test(value)) throw new ApiError(400, "bad_request", "version must be semver, e.g. 1.0.0");
  return value;
}

export function fileNameParam(value: string): string {
  if (!MODEL_FILE_NAME_PATTERN.test(value)) {
    throw new ApiError(400, "bad_request", "file name must be a plain name (letters, digits, _ . -), no path");
  }
  return value;
}

export function channelParam(value: string): Channel {
  if (!isChannel(value)) throw new ApiError(404, "not_found", `unknown channel; valid: ${CHANNELS.join(", ")}`);
  return value;
}
