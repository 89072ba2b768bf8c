/** Translation lookup: `t(key, values)` in the current locale. */

import { classById, LOCALES } from "@pifu/core";
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { en, type MessageKey, type Messages } from "./en.js";
import { zh } from "./zh.js";

export type Locale = (typeof LOCALES)[number];
export { LOCALES };

export const LOCALE_NAMES: Record<Locale, string> = { en: "English", zh: "中文" };
/** The BCP 47 tag of each locale, for the page's lang and Intl formatting. */
export const LOCALE_TAGS: Record<Locale, string> = { en: "en", zh: "zh-CN" };

const MESSAGES: Record<Locale, Messages> = { en, zh };

export type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

export function translator(locale: Locale): Translate {
  const messages = MESSAGES[locale];
  return (key, values = {}) =>
    messages[key].replace(/\{(\w+)\}/g, (match, name: string) => (name in values ? String(values[name]) : match));
}

export const LocaleContext = createContext<Locale>("en");

export function useLocale(): { locale: Locale; t: Translate } {
  const locale = useContext(LocaleContext);
  return { locale, t: translator(locale) };
}

/** A class's name and description in `locale`: the card's names, core's descriptions when core knows the id. */
export function describeClass(
  card: { classes: { id: string; en: string; zh: string }[] },
  id: string,
  locale: Locale,
): { name: string; description?: string } {
  const info = classById(id);
  const fromCard = card.classes.find((c) => c.id === id);
  return { name: fromCard?.[locale] ?? info?.[locale] ?? id, description: info?.description[locale] };
}
