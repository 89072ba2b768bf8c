/**
 * Whether the browser keeps the app's saved data (History, feedback not sent yet, downloaded models)
 * when space runs low. Best-effort storage may be evicted; persistent storage is not. Chromium grants
 * persistence from the site's use, without a prompt; Firefox asks the user, so pifu asks once a session.
 */

export type StorageLike = Partial<Pick<StorageManager, "persist" | "persisted" | "estimate">>;

const asked = new WeakMap<StorageLike, Promise<boolean | undefined>>();

/** `ask()`, or undefined when it is missing, throws or rejects. */
async function attempt<T>(ask: (() => Promise<T>) | undefined): Promise<T | undefined> {
  try {
    return await ask?.();
  } catch {
    return undefined;
  }
}

/**
 * Asks for persistent storage, once a session and only when it is not persistent yet; call it once
 * there is something worth keeping. Whether storage is persistent now; undefined when the browser
 * cannot say. Never throws.
 */
export function keepStoredData(
  storage: StorageLike | undefined = globalThis.navigator?.storage,
): Promise<boolean | undefined> {
  if (!storage) return Promise.resolve(undefined);
  let answer = asked.get(storage);
  if (!answer) {
    answer = (async () =>
      (await attempt(storage.persisted?.bind(storage))) || attempt(storage.persist?.bind(storage)))();
    asked.set(storage, answer);
  }
  return answer;
}

/** What Settings shows: whether storage is persistent and how much is used; each undefined when unknown. */
export async function storageState(
  storage: StorageLike | undefined = globalThis.navigator?.storage,
): Promise<{ persisted?: boolean; usage?: number }> {
  const [persisted, estimate] = await Promise.all([
    attempt(storage?.persisted?.bind(storage)),
    attempt(storage?.estimate?.bind(storage)),
  ]);
  return { persisted, usage: estimate?.usage };
}
