/**
 * The PWA in Chromium when storage fails or input is too large: a full disk (a `put` that throws
 * QuotaExceededError), an IndexedDB that will not open, a double tap, an oversized photo, and a model
 * update that cannot be saved. Nothing the user has computed or had may be lost, and the user is told.
 * One browser and one stack for the whole file; the tests run in order and share the app's state.
 */
import type { Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  arrayBufferBytes,
  checkPhoto,
  countRows,
  createVersion1Database,
  failStoreWrites,
  goTo,
  readRow,
  readRows,
  setFailingWrites,
  waitForModel,
  waitForServiceWorker,
} from "./app-page.js";
import { type AppUnderTest, startAppUnderTest } from "./app-under-test.js";
import { launchChromium } from "./browser.js";

let app: AppUnderTest;

/** A fresh page of the shared profile, with `put` failing for `stores` from its first load. */
async function openApp(failingStores: string[] = []): Promise<Page> {
  const page = await app.browser.context.newPage();
  await failStoreWrites(page, "put", failingStores);
  await page.goto(app.stack.app.url);
  return page;
}

beforeAll(async () => {
  app = await startAppUnderTest({
    name: "storage",
    models: [
      { version: "1.0.0", seed: 1 },
      { version: "1.1.0", seed: 2 },
      { version: "1.2.0", seed: 3 },
    ],
    embedded: "1.0.0",
  });
}, 300_000);

afterAll(() => app?.close());

describe("the PWA when storage fails", () => {
  it("shows the result and says it is not in history when saving to history fails", async () => {
    const page = await openApp(["history"]);
    try {
      await waitForModel(page, "1.0.0");
      await checkPhoto(page, 31);
      expect(await page.getByTestId("match").count()).toBe(3);
      await page.getByTestId("history-notice").filter({ hasText: "could not be saved to History" }).waitFor();
      // The same through the quality gate's "Check anyway".
      await checkPhoto(page, 32, { level: 15 });
      await page.getByRole("button", { name: "Check anyway" }).click();
      await page.getByTestId("result").waitFor();
      expect(await page.getByTestId("match").count()).toBe(3);
      await page.getByTestId("history-notice").waitFor();
      expect(await countRows(page, "history")).toBe(0);
    } finally {
      await page.close();
    }
  });

  it("starts with the built-in model and checks a photo when settings cannot be saved", async () => {
    const page = await openApp(["settings"]);
    try {
      await waitForModel(page, "1.0.0");
      await page.getByTestId("storage-notice").filter({ hasText: "Settings could not be saved" }).waitFor();
      await checkPhoto(page, 33);
      expect(await page.getByTestId("match").count()).toBe(3);
      // A language switch still applies for this session.
      await goTo(page, "Settings");
      await page.getByRole("button", { name: "中文" }).click();
      await page.getByRole("heading", { name: "设置" }).waitFor();
    } finally {
      await page.close();
    }
  });

  it("starts and checks a photo when IndexedDB cannot be opened at all, and History reads again on Retry", async () => {
    const page = await app.browser.context.newPage();
    await page.addInitScript(() => {
      const open = IDBFactory.prototype.open;
      const holder = window as unknown as { __pifuOpenFails: boolean };
      holder.__pifuOpenFails = true;
      IDBFactory.prototype.open = function (this: IDBFactory, ...args: Parameters<IDBFactory["open"]>) {
        if (holder.__pifuOpenFails) throw new DOMException("Internal error opening backing store.", "UnknownError");
        return open.apply(this, args);
      };
    });
    try {
      await page.goto(app.stack.app.url);
      await waitForModel(page, "1.0.0");
      await page.getByTestId("storage-notice").first().waitFor();
      await checkPhoto(page, 34);
      expect(await page.getByTestId("match").count()).toBe(3);
      await page.getByTestId("history-notice").waitFor();
      await goTo(page, "History");
      await page.getByTestId("history-error").filter({ hasText: "History could not be read" }).waitFor();
      await expect(page.getByTestId("history-error").textContent()).resolves.toContain(
        "the phone's storage did not respond",
      );
      // Storage that works again is read on Retry, without leaving History.
      await page.evaluate(() => {
        (window as unknown as { __pifuOpenFails: boolean }).__pifuOpenFails = false;
      });
      await page.getByRole("button", { name: "Retry" }).click();
      await page.locator("[data-testid=history-item], [data-testid=history-empty]").first().waitFor();
      expect(await page.getByTestId("history-error").count()).toBe(0);
    } finally {
      await page.close();
    }
  });

  it("says why History could not delete, keeps the entries and the confirm dialog, and deletes on a retry, keeping focus in place", async () => {
    const page = await app.browser.context.newPage();
    await failStoreWrites(page, "delete", ["history"]);
    await failStoreWrites(page, "clear", ["history"]);
    try {
      await page.goto(app.stack.app.url);
      await waitForModel(page, "1.0.0");
      await checkPhoto(page, 38);
      await checkPhoto(page, 39);
      await checkPhoto(page, 40);
      await goTo(page, "History");
      const items = page.getByTestId("history-item");
      await expect.poll(() => items.count()).toBe(await countRows(page, "history"));
      const before = await items.count();
      // Each Delete names its entry: a screen reader user hears which one it deletes.
      const names = await page
        .getByTestId("delete-entry")
        .evaluateAll((buttons) => buttons.map((button) => button.getAttribute("aria-label")));
      expect(names).toHaveLength(before);
      for (const name of names) expect(name).toMatch(/^Delete \S.*, \d{4}-\d{2}-\d{2}$/);
      await items.first().getByRole("button", { name: "Delete" }).click();
      await page.getByTestId("history-error").filter({ hasText: "This could not be deleted. Try again." }).waitFor();
      await expect(page.getByTestId("history-error").textContent()).resolves.toContain(
        "the phone's storage did not respond",
      );
      expect(await items.count()).toBe(before);

      // A delete that works moves focus to the next entry's Delete, not to <body>.
      await setFailingWrites(page, "delete", []);
      await items.first().getByTestId("delete-entry").click();
      await expect.poll(() => items.count()).toBe(before - 1);
      await expect
        .poll(() =>
          page.evaluate(() => {
            const first = document.querySelector("[data-testid=delete-entry]");
            return first !== null && document.activeElement === first;
          }),
        )
        .toBe(true);
      await expect(page.getByTestId("delete-entry").first().getAttribute("aria-label")).resolves.toBe(names[1]);
      expect(await page.getByTestId("history-error").count()).toBe(0);

      // The dialog opens below the list: focus and the view move to it.
      await page.getByRole("button", { name: "Delete all" }).click();
      await expect
        .poll(() => page.evaluate(() => document.activeElement?.getAttribute("data-testid")))
        .toBe("confirm-delete-all");
      await expect(
        page.getByRole("alertdialog").evaluate((dialog) => {
          const box = dialog.getBoundingClientRect();
          const bar = document.querySelector("nav.bottom")?.getBoundingClientRect().top ?? innerHeight;
          return box.top >= 0 && box.bottom <= bar;
        }),
      ).resolves.toBe(true);
      await page.getByTestId("confirm-delete-all").click();
      await page.getByRole("alertdialog").getByTestId("history-error").waitFor();
      expect(await countRows(page, "history")).toBe(before - 1);
      // Cancel closes the dialog and its error with it; focus goes back to "Delete all".
      await page.getByRole("alertdialog").getByRole("button", { name: "Cancel" }).click();
      expect(await page.getByTestId("history-error").count()).toBe(0);
      await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe("Delete all");

      await page.getByRole("button", { name: "Delete all" }).click();
      await setFailingWrites(page, "clear", []);
      await page.getByTestId("confirm-delete-all").click();
      await page.getByTestId("history-empty").waitFor();
      expect(await countRows(page, "history")).toBe(0);
      expect(await page.getByTestId("history-error").count()).toBe(0);
      // Nothing left: focus goes to the heading.
      await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("history-title");
    } finally {
      await page.close();
    }
  });

  it("queues one feedback record per check, however often or however fast it is saved", async () => {
    const page = await openApp();
    try {
      await waitForModel(page, "1.0.0");
      // Offline, so the queue keeps what is saved instead of sending it.
      await app.browser.context.setOffline(true);
      const before = await countRows(page, "feedback");
      await checkPhoto(page, 35);
      await page.getByRole("button", { name: "Doctor mode: confirm or correct" }).click();
      // Two taps in one task: both submits run before the button can turn disabled.
      await page.getByRole("button", { name: "Save feedback" }).evaluate((button: HTMLButtonElement) => {
        button.click();
        button.click();
      });
      await page.getByText("Feedback saved").waitFor();
      expect(await countRows(page, "feedback")).toBe(before + 1);

      // The record is queued but the history entry cannot take its id: the doctor is told the
      // feedback is saved and History did not note it, not that saving failed.
      await checkPhoto(page, 36);
      await page.getByRole("button", { name: "Doctor mode: confirm or correct" }).click();
      await setFailingWrites(page, "put", ["history"]);
      await page.getByRole("radio").nth(2).check();
      await page.getByRole("button", { name: "Save feedback" }).click();
      await page.getByText("Feedback saved").waitFor();
      // On the result screen, in a live region (<output>), as the other notices there.
      await page
        .getByTestId("result")
        .getByRole("status")
        .and(page.getByTestId("feedback-notice"))
        .filter({ hasText: "The feedback is saved and will be sent, but History could not note it (storage is full)." })
        .waitFor();
      expect(await page.getByTestId("feedback-error").count()).toBe(0);
      await setFailingWrites(page, "put", []);
      const queued = await readRows<{ record: { id: string; confirmedLabel: string } }>(page, "feedback");
      expect(queued).toHaveLength(before + 2);
      expect(queued.map((item) => item.record.confirmedLabel)).toContain("nail_fungus");
    } finally {
      await app.browser.context.setOffline(false);
      await page.close();
    }
  });
});

describe("the PWA keeping its offline data", () => {
  it("asks the browser to keep its data once a check is saved, and Settings says whether it does", async () => {
    const page = await app.browser.context.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    // Persistence as a browser grants it, counted; and a usage estimate that fails.
    await page.addInitScript(() => {
      const asked = { persist: 0, persisted: false };
      (window as unknown as { __pifuPersist: typeof asked }).__pifuPersist = asked;
      const define = (name: string, value: unknown) => Object.defineProperty(StorageManager.prototype, name, { value });
      define("persisted", async () => asked.persisted);
      define("persist", async () => {
        asked.persist++;
        asked.persisted = true;
        return true;
      });
      define("estimate", () => Promise.reject(new DOMException("estimate failed", "UnknownError")));
    });
    const persistCalls = () =>
      page.evaluate(() => (window as unknown as { __pifuPersist: { persist: number } }).__pifuPersist.persist);
    try {
      await page.goto(app.stack.app.url);
      await waitForModel(page, "1.0.0");
      await goTo(page, "Settings");
      await page.getByTestId("storage-persisted").filter({ hasText: "The browser may clear saved data" }).waitFor();
      expect(await persistCalls()).toBe(0);
      await checkPhoto(page, 37);
      await expect.poll(persistCalls).toBe(1);
      await checkPhoto(page, 38);
      await goTo(page, "Settings");
      await page.getByTestId("storage-persisted").filter({ hasText: "Saved data is protected" }).waitFor();
      expect(await persistCalls()).toBe(1);
      expect(pageErrors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});

describe("the PWA with a photo left on the Quality screen", () => {
  it("lets go of the photo's full-size pixels once the user leaves Quality, and checks the next photo", async () => {
    const page = await openApp();
    try {
      await waitForModel(page, "1.0.0");
      const empty = await arrayBufferBytes(page);
      // 24 megapixels, too dark: the quality gate holds its 96 MB of pixels for "Check anyway".
      const buffer = await sharp({
        create: { width: 6000, height: 4000, channels: 3, background: { r: 20, g: 14, b: 12 } },
      })
        .png()
        .toBuffer();
      await page.getByTestId("photo-input").setInputFiles({ name: "dark.png", mimeType: "image/png", buffer });
      await page.getByTestId("quality").waitFor({ timeout: 30_000 });
      const pixels = 6000 * 4000 * 4;
      expect(await arrayBufferBytes(page)).toBeGreaterThan(empty + pixels * 0.9);
      await goTo(page, "History");
      await page.getByTestId("history").waitFor();
      await goTo(page, "Check");
      expect(await page.getByTestId("quality").count()).toBe(0);
      await expect.poll(() => arrayBufferBytes(page)).toBeLessThan(empty + pixels * 0.5);
      await checkPhoto(page, 42);
      expect(await page.getByTestId("match").count()).toBe(3);
    } finally {
      await page.close();
    }
  });
});

describe("the PWA with a photo over the size limit", () => {
  it("refuses a 41-megapixel photo with a clear message and still checks the next one", async () => {
    const page = await openApp();
    try {
      await waitForModel(page, "1.0.0");
      const buffer = await sharp({
        create: { width: 8200, height: 5000, channels: 3, background: { r: 180, g: 140, b: 120 } },
      })
        .png()
        .toBuffer();
      await page.getByTestId("photo-input").setInputFiles({ name: "huge.png", mimeType: "image/png", buffer });
      await page.getByText("This photo is too large (41 megapixels; pifu reads up to 40)").waitFor();
      await checkPhoto(page, 37);
      expect(await page.getByTestId("match").count()).toBe(3);
    } finally {
      await page.close();
    }
  });
});

describe("model updates that fail partway", () => {
  let page: Page;

  beforeAll(async () => {
    page = await openApp();
  });

  afterAll(async () => {
    await page?.close();
  });

  it("keeps the current model and its files when the new one cannot be saved", async () => {
    await waitForModel(page, "1.0.0");
    await app.publish("1.1.0");
    await goTo(page, "Settings");
    await page.getByRole("button", { name: "Check for update" }).click();
    await waitForModel(page, "1.1.0");

    await app.publish("1.2.0");
    await setFailingWrites(page, "put", ["settings"]);
    await page.getByRole("button", { name: "Check for update" }).click();
    await page.getByTestId("update-status").filter({ hasText: "could not be saved on this phone" }).waitFor();
    await expect(page.getByTestId("model-version").getAttribute("data-version")).resolves.toBe("1.1.0");
    // The model and the settings naming it are one transaction: neither the new model nor a prune stuck.
    const stored = await readRows<{ version: string }>(page, "models");
    expect(stored.map((model) => model.version)).toEqual(["1.1.0"]);
    await expect(readRow<{ activeModel?: string }>(page, "settings", "settings")).resolves.toMatchObject({
      activeModel: "1.1.0",
    });
    await setFailingWrites(page, "put", []);
  });

  it("falls back to the newest stored model that verifies, deleting only the one that does not", async () => {
    // A damaged 1.3.0 that the settings name, next to the good 1.1.0.
    await page.evaluate(
      () =>
        new Promise<void>((resolveDone, reject) => {
          const open = indexedDB.open("pifu");
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const transaction = open.result.transaction(["models", "settings"], "readwrite");
            const models = transaction.objectStore("models");
            const settings = transaction.objectStore("settings");
            models.get("1.1.0").onsuccess = (event) => {
              const good = (event.target as IDBRequest).result as {
                card: { version: string };
                files: Record<string, ArrayBuffer>;
              };
              const files = { ...good.files };
              const shard = new Uint8Array((files["group1-shard1of1.bin"] as ArrayBuffer).slice(0));
              shard[0] = (shard[0] as number) ^ 0xff;
              files["group1-shard1of1.bin"] = shard.buffer;
              models.put({ ...good, version: "1.3.0", card: { ...good.card, version: "1.3.0" }, files });
            };
            settings.get("settings").onsuccess = (event) => {
              settings.put({ ...(event.target as IDBRequest).result, activeModel: "1.3.0" }, "settings");
            };
            transaction.oncomplete = () => {
              open.result.close();
              resolveDone();
            };
            transaction.onerror = () => reject(transaction.error);
          };
        }),
    );
    // Offline, so the start does not fetch 1.2.0 from the channel.
    await waitForServiceWorker(page);
    await app.browser.context.setOffline(true);
    try {
      await page.reload();
      await waitForModel(page, "1.1.0");
      await goTo(page, "Settings");
      await page.getByTestId("model-notice").filter({ hasText: "model 1.1.0 is used instead" }).waitFor();
      await expect(page.getByTestId("model-notice").textContent()).resolves.toContain("1.3.0");
      const stored = await readRows<{ version: string }>(page, "models");
      expect(stored.map((model) => model.version)).toEqual(["1.1.0"]);
      await expect(readRow<{ activeModel?: string }>(page, "settings", "settings")).resolves.toMatchObject({
        activeModel: "1.1.0",
      });
    } finally {
      await app.browser.context.setOffline(false);
    }
  });
});

describe("the PWA beside an older app in another tab", () => {
  it("starts, says why its saved data is out of reach, and does not wait on the older tab", async () => {
    // A fresh profile, where an older app (schema version 1, no handler that steps aside) holds the database.
    const other = await launchChromium();
    try {
      const older = await other.context.newPage();
      await older.goto(`${app.stack.app.url}/manifest.webmanifest`);
      await createVersion1Database(older, { keepOpen: true });
      const page = await other.context.newPage();
      await page.goto(app.stack.app.url);
      await waitForModel(page);
      await page.getByText("open in another tab that runs an older version").first().waitFor({ timeout: 30_000 });
      await checkPhoto(page, 61);
      expect(await page.getByTestId("match").count()).toBe(3);
      // Once the older tab is gone, the upgrade it held up completes and saving works again.
      await older.close();
      await checkPhoto(page, 62);
      await expect.poll(() => countRows(page, "history"), { timeout: 30_000 }).toBeGreaterThan(0);
    } finally {
      await other.close();
    }
  });
});

describe("the PWA beside a newer app in another tab", () => {
  // Last in the file: it leaves the database at a schema version this app does not know.
  it("closes its database when the other tab needs a newer schema, instead of holding that upgrade up", async () => {
    const page = await openApp();
    const newer = await app.browser.context.newPage();
    try {
      await waitForModel(page);
      await newer.goto(`${app.stack.app.url}/manifest.webmanifest`);
      const outcome = await newer.evaluate(
        (dbName) =>
          new Promise<string>((resolve) => {
            const request = indexedDB.open(dbName, 1000);
            request.onsuccess = () => {
              request.result.close();
              resolve("upgraded");
            };
            request.onerror = () => resolve(`error: ${request.error?.message}`);
            setTimeout(() => resolve("still blocked after 10 s"), 10_000);
          }),
        "pifu",
      );
      expect(outcome).toBe("upgraded");
      // This tab's code does not know the newer schema: it says so instead of failing silently.
      await checkPhoto(page, 71);
      expect(await page.getByTestId("match").count()).toBe(3);
      await page.getByTestId("history-notice").filter({ hasText: "updated in another tab; reload" }).waitFor();
    } finally {
      await newer.close();
      await page.close();
    }
  });
});
