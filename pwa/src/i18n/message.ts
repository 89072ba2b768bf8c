/** Messages kept (in state) until shown, and said in the language in use when they render. */
import type { MessageKey } from "./en.js";
import type { Translate } from "./index.js";

/** A message to say later, in whatever language is in use then. */
export type Said = (t: Translate) => string;

/** `key` filled with `values`; a value that is itself a Said is said in the same language. */
export function said(key: MessageKey, values: Record<string, string | number | Said> = {}): Said {
  return (t) =>
    t(
      key,
      Object.fromEntries(
        Object.entries(values).map(([name, value]) => [name, typeof value === "function" ? value(t) : value]),
      ),
    );
}
