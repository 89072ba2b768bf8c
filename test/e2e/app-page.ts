/** Steps through the PWA like a person would, for the end-to-end tests. */
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Page } from "playwright-core";
import { fixturePng } from "./fixture-image.js";

export async function waitForModel(page: Page, version?: string): Promise<void> {
  const meta = page.getByTestId("header-meta");
  await meta.filter({ hasText: version ? `v${version}` : /v\d/ }).waitFor({ timeout: 60_000 });
}

export async function goTo(
  page: Page,
  screen: "Check" | "History" | "Settings" | "检查" | "记录" | "设置",
): Promise<void> {
  await page.getByRole("navigation").getByRole("button", { name: screen, exact: true }).click();
}

/** Picks a generated photo on the home screen, which starts a check. */
export async function pickPhoto(page: Page, seed: number, options: { level?: number; blur?: number } = {}) {
  await goTo(page, "Check");
  const buffer = await fixturePng({ seed, ...options });
  await page.getByTestId("photo-input").setInputFiles({ name: `photo-${seed}.png`, mimeType: "image/png", buffer });
}

/** Picks a generated photo on the home screen and waits for the result (or the quality gate). */
export async function checkPhoto(page: Page, seed: number, options: { level?: number; blur?: number } = {}) {
  await pickPhoto(page, seed, options);
  await page.locator("[data-testid=result], [data-testid=quality]").first().waitFor({ timeout: 30_000 });
}

/** Object-store row count in the app's IndexedDB, read inside the page. */
export function countRows(page: Page, store: string): Promise<number> {
  return page.evaluate(
    (name) =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open("pifu");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const request = open.result.transaction(name).objectStore(name).count();
          request.onsuccess = () => {
            open.result.close();
            resolve(request.result);
          };
          request.onerror = () => reject(request.error);
        };
      }),
    store,
  );
}

/** Every row of an object store (structured-cloneable values only). */
export function readRows<T>(page: Page, store: string): Promise<T[]> {
  return page.evaluate(
    (name) =>
      new Promise<T[]>((resolve, reject) => {
        const open = indexedDB.open("pifu");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const request = open.result.transaction(name).objectStore(name).getAll();
          request.onsuccess = () => {
            open.result.close();
            resolve(request.result as T[]);
          };
          request.onerror = () => reject(request.error);
        };
      }),
    store,
  );
}

/** PIFU_SCREENSHOTS=1 refreshes the committed screenshots in docs/screenshots. */
const SHOTS_DIR = process.env.PIFU_SCREENSHOTS
  ? resolve(import.meta.dirname, "../../docs/screenshots")
  : join(tmpdir(), "pifu-screenshots");

/** The viewport, scrolled to the top, as SHOTS_DIR/NAME.png. */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  await mkdir(SHOTS_DIR, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SHOTS_DIR, `${name}.png`) });
}

/** The percentage a result shows, as a number: "above 99%" as 99.5 and "below 1%" as 0.5. */
export function shownPercent(text: string): number {
  if (text.startsWith("above 99")) return 99.5;
  if (text.startsWith("below 1")) return 0.5;
  return Number.parseInt(text, 10);
}

/** The IDBObjectStore writes a test can make fail. */
type StoreWrite = "put" | "delete" | "clear";

/** Where the page keeps, per write, the object-store names where it fails (see failStoreWrites). */
interface FailingWrites {
  __pifuFailing: Partial<Record<StoreWrite, Set<string>>>;
}

/**
 * From the next navigation on, `write` on any of `stores` throws: a put a QuotaExceededError, as a full
 * disk does, a delete or clear an UnknownError, as broken browser storage does. setFailingWrites changes
 * the stores later. Every load of the page starts again from `stores`.
 */
export async function failStoreWrites(page: Page, write: StoreWrite, stores: string[]): Promise<void> {
  await page.addInitScript(
    ([method, initial]) => {
      const failing = new Set(initial);
      const holder = window as unknown as FailingWrites;
      holder.__pifuFailing ??= {};
      holder.__pifuFailing[method] = failing;
      const prototype = IDBObjectStore.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
      const original = prototype[method] as (...args: unknown[]) => unknown;
      const [message, name] =
        method === "put"
          ? ["The quota has been exceeded.", "QuotaExceededError"]
          : ["The operation failed for reasons unrelated to the database itself.", "UnknownError"];
      prototype[method] = function (this: IDBObjectStore, ...args: unknown[]) {
        if (failing.has(this.name)) throw new DOMException(message, name);
        return original.apply(this, args);
      };
    },
    [write, stores] as const,
  );
}

export async function setFailingWrites(page: Page, write: StoreWrite, stores: string[]): Promise<void> {
  await page.evaluate(
    ([method, names]) => {
      const failing = (window as unknown as FailingWrites).__pifuFailing[method];
      if (!failing) throw new Error(`failStoreWrites(page, "${method}", …) was not called before the page loaded`);
      failing.clear();
      for (const name of names) failing.add(name);
    },
    [write, stores] as const,
  );
}

/** Waits until the service worker controls the page, so it reloads offline from the precache. */
export async function waitForServiceWorker(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((done) => navigator.serviceWorker.addEventListener("controllerchange", done, { once: true }));
    }
  });
}

/** One row of an object store by key, or undefined. */
export function readRow<T>(page: Page, store: string, key: string): Promise<T | undefined> {
  return page.evaluate(
    ([name, id]) =>
      new Promise<T | undefined>((resolve, reject) => {
        const open = indexedDB.open("pifu");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const request = open.result.transaction(name).objectStore(name).get(id);
          request.onsuccess = () => {
            open.result.close();
            resolve(request.result as T | undefined);
          };
          request.onerror = () => reject(request.error);
        };
      }),
    [store, key] as const,
  );
}

/** Writes one row into an object store of the app's IndexedDB (stores with an in-line key). */
export function putRow(page: Page, store: string, row: unknown): Promise<void> {
  return page.evaluate(
    ([name, value]) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open("pifu");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const transaction = open.result.transaction(name, "readwrite");
          transaction.objectStore(name).put(value);
          transaction.oncomplete = () => {
            open.result.close();
            resolve();
          };
          transaction.onerror = () => reject(transaction.error);
        };
      }),
    [store, row] as const,
  );
}

/**
 * Creates the app's database as version 1 of db.ts made it, holding `feedback` rows and the stored
 * `settings`. With `keepOpen` the connection stays open, as an older app's tab would hold it.
 */
export function createVersion1Database(
  page: Page,
  { feedback = [], settings, keepOpen = false }: { feedback?: unknown[]; settings?: unknown; keepOpen?: boolean },
): Promise<void> {
  return page.evaluate(
    ([rows, stored, hold]) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open("pifu", 1);
        open.onupgradeneeded = () => {
          const database = open.result;
          database.createObjectStore("models", { keyPath: "version" });
          database.createObjectStore("feedback", { keyPath: "record.id" });
          database.createObjectStore("history", { keyPath: "id" }).createIndex("byCreatedAt", "createdAt");
          database.createObjectStore("settings");
        };
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const transaction = open.result.transaction(["feedback", "settings"], "readwrite");
          for (const item of rows) transaction.objectStore("feedback").put(item);
          if (stored !== undefined) transaction.objectStore("settings").put(stored, "settings");
          transaction.oncomplete = () => {
            // Referenced from the page, so garbage collection cannot close a connection kept open.
            if (hold) (globalThis as unknown as { heldDatabase: IDBDatabase }).heldDatabase = open.result;
            else open.result.close();
            resolve();
          };
          transaction.onerror = () => reject(transaction.error);
        };
      }),
    [feedback, settings, keepOpen] as const,
  );
}

/** Where the page keeps the gate photo decoding waits at (see gateDecoding). */
interface DecodeGate {
  __pifuDecodeGate: { close(): void; arrived: Promise<void>; open(): void };
}

/**
 * From the next navigation on, photo decoding (createImageBitmap) waits while the gate is closed, so a
 * test can act at a known point in the middle of a check: closeDecodeGate, pick a photo,
 * waitAtDecodeGate, act, openDecodeGate.
 */
export async function gateDecoding(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const decode = window.createImageBitmap;
    let opened = Promise.resolve();
    let arrive = () => {};
    const gate: DecodeGate["__pifuDecodeGate"] = {
      arrived: Promise.resolve(),
      close() {
        opened = new Promise((resolve) => {
          gate.open = resolve;
        });
        gate.arrived = new Promise((resolve) => {
          arrive = resolve;
        });
      },
      open() {},
    };
    (window as unknown as DecodeGate).__pifuDecodeGate = gate;
    window.createImageBitmap = async (...args: unknown[]) => {
      arrive();
      await opened;
      return decode.apply(window, args as Parameters<typeof decode>);
    };
  });
}

export function closeDecodeGate(page: Page): Promise<void> {
  return page.evaluate(() => (window as unknown as DecodeGate).__pifuDecodeGate.close());
}

/** Resolves once a decode is waiting at the closed gate. */
export function waitAtDecodeGate(page: Page): Promise<void> {
  return page.evaluate(() => (window as unknown as DecodeGate).__pifuDecodeGate.arrived);
}

export function openDecodeGate(page: Page): Promise<void> {
  return page.evaluate(() => (window as unknown as DecodeGate).__pifuDecodeGate.open());
}

/** Where focus is after a screen change: the element, what names it, and whether its text starts with what is above the heading. */
export interface FocusedScreen {
  tag: string | undefined;
  labelledBy: string | null | undefined;
  /** The safety note is inside the focused element and comes before its heading: read forward, it is not skipped. */
  noteBeforeHeading: boolean;
}

export function focusedScreen(page: Page): Promise<FocusedScreen> {
  return page.evaluate(() => {
    const focused = document.activeElement;
    const note = document.querySelector("[role=note]");
    const heading = focused?.querySelector("h1");
    return {
      tag: focused?.tagName,
      labelledBy: focused?.getAttribute("aria-labelledby"),
      noteBeforeHeading: Boolean(
        note &&
          heading &&
          focused?.contains(note) &&
          note.compareDocumentPosition(heading) & Node.DOCUMENT_POSITION_FOLLOWING,
      ),
    };
  });
}

/** The result screen focused at its start: the screen area, named by the result's heading. */
export const RESULT_FOCUSED: FocusedScreen = { tag: "MAIN", labelledBy: "result-title", noteBeforeHeading: true };

/** Bytes the page's ArrayBuffers hold (a decoded photo's pixels among them), after a full garbage collection. */
export async function arrayBufferBytes(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send("HeapProfiler.collectGarbage");
    const usage = (await cdp.send("Runtime.getHeapUsage")) as { backingStorageSize?: number };
    if (usage.backingStorageSize === undefined) throw new Error("this Chromium does not report backingStorageSize");
    return usage.backingStorageSize;
  } finally {
    await cdp.detach();
  }
}
