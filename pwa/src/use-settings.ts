/**
 * The settings in use and the storage notices the app carried on through: settings are applied at
 * once and saved best effort, so a failed save keeps them until the app closes and says so.
 */
import { useCallback, useRef, useState } from "preact/hooks";
import { errorSaid } from "./errors.js";
import { LOCALE_TAGS, translator } from "./i18n/index.js";
import { type Said, said } from "./i18n/message.js";
import { type Settings, saveSettings } from "./settings.js";

/** Says English text: what tells notices apart, whatever the language. */
export const inEnglish = translator("en");

export function useSettings() {
  const [settings, setSettings] = useState<Settings>();
  /** The latest settings, for async callers that would otherwise hold a stale copy. */
  const settingsRef = useRef<Settings>();
  /** Storage failures the app carried on through (settings or old models not saved or deleted). */
  const [storageNotices, setStorageNotices] = useState<Said[]>([]);

  const addStorageNotice = useCallback((notice: Said) => {
    const text = notice(inEnglish);
    setStorageNotices((notices) => (notices.some((n) => n(inEnglish) === text) ? notices : [...notices, notice]));
  }, []);

  /** Makes `next` the settings in use, without saving them. */
  const applySettings = useCallback((next: Settings) => {
    settingsRef.current = next;
    setSettings(next);
    document.documentElement.lang = LOCALE_TAGS[next.locale];
  }, []);

  /**
   * Merges into the latest settings and saves them. Saving is best effort: on failure the settings
   * still apply until the app closes, a notice says so, and this returns false.
   */
  const updateSettings = useCallback(
    async (patch: Partial<Settings>): Promise<boolean> => {
      const current = settingsRef.current;
      if (!current) return false;
      const next = { ...current, ...patch };
      applySettings(next);
      try {
        await saveSettings(next);
        return true;
      } catch (error) {
        addStorageNotice(said("settingsNotSaved", { error: errorSaid(error) }));
        return false;
      }
    },
    [applySettings, addStorageNotice],
  );

  return { settings, settingsRef, applySettings, updateSettings, storageNotices, addStorageNotice };
}
