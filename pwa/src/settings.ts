/** User settings persisted in IndexedDB. */

import { db } from "./db.js";
import type { Locale } from "./i18n/index.js";

export const CHANNELS = ["stable", "beta"] as const;
export type Channel = (typeof CHANNELS)[number];

export interface Settings {
  locale: Locale;
  channel: Channel;
  /** Version of the stored model in use; undefined means the embedded default. */
  activeModel?: string;
}

function defaultLocale(): Locale {
  return navigator.language.toLowerCase().startsWith("zh") ? "zh" : "en";
}

export async function loadSettings(): Promise<Settings> {
  const stored = (await (await db()).get("settings", "settings")) as Partial<Settings> | undefined;
  return {
    locale: stored?.locale === "zh" || stored?.locale === "en" ? stored.locale : defaultLocale(),
    channel: stored?.channel === "beta" ? "beta" : "stable",
    activeModel: stored?.activeModel,
  };
}

export async function saveSettings(settings: Settings): Promise<void> {
  await (await db()).put("settings", settings, "settings");
}
