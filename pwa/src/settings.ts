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

/** The settings record's key in the "settings" store. */
export const SETTINGS_KEY = "settings";

function defaultLocale(): Locale {
  return navigator.language.toLowerCase().startsWith("zh") ? "zh" : "en";
}

/** Stored values where valid, the defaults elsewhere (and for everything when nothing is stored). */
export function settingsFrom(stored: Partial<Settings> | undefined): Settings {
  return {
    locale: stored?.locale === "zh" || stored?.locale === "en" ? stored.locale : defaultLocale(),
    channel: stored?.channel === "beta" ? "beta" : "stable",
    activeModel: stored?.activeModel,
  };
}

export async function loadSettings(): Promise<Settings> {
  return settingsFrom((await (await db()).get("settings", SETTINGS_KEY)) as Partial<Settings> | undefined);
}

export async function saveSettings(settings: Settings): Promise<void> {
  await (await db()).put("settings", settings, SETTINGS_KEY);
}
