/** What Settings says after an update check that found nothing to do. */
import type { Translate } from "./i18n/index.js";

/**
 * `inUse`: the version running; `channelVersion`: the one the channel serves (absent when it serves
 * none: nothing was ever published to it), the same or older (the built-in default in use can be
 * newer); `channel`: its name, translated.
 */
export function noUpdateText(
  say: Translate,
  inUse: string,
  channelVersion: string | undefined,
  channel: string,
): string {
  if (channelVersion === undefined) return say("updateChannelEmpty", { version: inUse, channel });
  if (channelVersion === inUse) return say("updateNoneOn", { version: inUse, channel });
  return say("updateNoneNewer", { version: inUse, channelVersion, channel });
}
