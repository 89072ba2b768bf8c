/**
 * A new release of the app while it is in use, in Chromium: the new service worker waits instead of
 * reloading the page, so a half-filled doctor form survives; a notice offers the new version, and
 * tapping it reloads into it, in a second tab too once the first has taken the new version. Only the
 * tab where Reload is tapped reloads: another one keeps its form and says the app was updated.
 */
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkPhoto, waitForModel, waitForServiceWorker } from "./app-page.js";
import { type AppUnderTest, startAppUnderTest } from "./app-under-test.js";

let app: AppUnderTest;
let page: Page;

beforeAll(async () => {
  app = await startAppUnderTest({ name: "update", models: [{ version: "1.0.0", seed: 1 }], embedded: "1.0.0" });
  page = await app.browser.context.newPage();
  await page.goto(app.stack.app.url);
}, 300_000);

afterAll(() => app?.close());

/** Releases build `build` of the served app: an index.html that names it, and a sw.js that precaches it. */
async function releaseNewVersion(distDir: string, build: number): Promise<void> {
  const indexPath = join(distDir, "index.html");
  const index = (await readFile(indexPath, "utf8"))
    .replace(/<meta name="pifu-test-build"[^>]*>/, "")
    .replace("</head>", `<meta name="pifu-test-build" content="${build}"></head>`);
  await writeFile(indexPath, index);
  const swPath = join(distDir, "sw.js");
  const sw = await readFile(swPath, "utf8");
  const revision = createHash("md5").update(index).digest("hex");
  // Minified ({url:"index.html",revision:"…"}) or not, as under vitest ("url": "index.html",\n "revision": "…").
  const released = sw.replace(/("?url"?:\s*"index\.html",\s*"?revision"?:\s*")[0-9a-f]+"/, `$1${revision}"`);
  if (released === sw) throw new Error("sw.js has no precache entry for index.html to change");
  await writeFile(swPath, released);
}

/** Set on the page's window; a reload clears it. */
interface Marked {
  notReloaded?: boolean;
  /** The worker in charge before an update. */
  oldWorker?: ServiceWorker | null;
}

const notReloaded = () => page.evaluate(() => (window as Marked).notReloaded);
const build = () => page.locator("meta[name=pifu-test-build]").getAttribute("content", { timeout: 30_000 });

/** Releases `version`, has the browser look for it, and waits for the notice offering it. */
async function updateTo(version: number) {
  await releaseNewVersion(app.stack.distDir, version);
  await page.evaluate(async () => {
    await (await navigator.serviceWorker.getRegistration())?.update();
  });
  await page.getByTestId("update-notice").filter({ hasText: "A new version of pifu is ready." }).waitFor();
}

describe("a new version of the app", () => {
  it("waits for the user: no reload mid-form, a notice, and Reload brings the new version", async () => {
    await waitForModel(page, "1.0.0");
    await waitForServiceWorker(page);
    await checkPhoto(page, 81);
    await page.getByRole("button", { name: "Doctor mode: confirm or correct" }).click();
    await page.getByRole("radio").nth(2).check();
    await page.locator("select[name=bodySite]").selectOption("arm");
    await page.evaluate(() => {
      (window as Marked).notReloaded = true;
    });

    // On the app's first visit: the page had no worker when it loaded.
    await updateTo(2);
    // The new worker waits; the page and the half-filled form are as the user left them.
    await expect(
      page.evaluate(async () => Boolean((await navigator.serviceWorker.getRegistration())?.waiting)),
    ).resolves.toBe(true);
    await expect(notReloaded()).resolves.toBe(true);
    await expect(page.getByRole("radio").nth(2).isChecked()).resolves.toBe(true);
    await expect(page.locator("select[name=bodySite]").inputValue()).resolves.toBe("arm");
    expect(await page.locator("meta[name=pifu-test-build]").count()).toBe(0);

    const notice = page.getByTestId("update-notice");
    await notice.getByRole("button", { name: "Reload" }).click();
    await expect.poll(build, { timeout: 30_000 }).toBe("2");
    await waitForModel(page, "1.0.0");
    await expect(notReloaded()).resolves.toBeUndefined();
    expect(await notice.count()).toBe(0);

    // And on a later visit, loaded under a worker, as most are.
    await page.evaluate(() => {
      (window as Marked).notReloaded = true;
    });
    await updateTo(3);
    await expect(notReloaded()).resolves.toBe(true);
    await notice.getByRole("button", { name: "Reload" }).click();
    await expect.poll(build, { timeout: 30_000 }).toBe("3");
    await waitForModel(page, "1.0.0");
  });

  it("reloads a tab into the new version another tab already took over", async () => {
    // A second tab that loaded without a worker (a hard reload bypasses it), as on the app's first visit.
    const other = await app.browser.context.newPage();
    try {
      await other.goto(app.stack.app.url);
      await waitForModel(other, "1.0.0");
      await (await app.browser.context.newCDPSession(other)).send("Page.reload", { ignoreCache: true });
      await waitForModel(other, "1.0.0");
      await expect(other.evaluate(() => Boolean(navigator.serviceWorker.controller))).resolves.toBe(false);
      await other.evaluate(() => {
        (window as Marked).notReloaded = true;
      });

      await updateTo(4);
      const otherNotice = other.getByTestId("update-notice");
      await otherNotice.filter({ hasText: "A new version of pifu is ready." }).waitFor();
      // The first tab takes the new version; the other's notice still offers it.
      await page.getByTestId("update-notice").getByRole("button", { name: "Reload" }).click();
      await expect.poll(build, { timeout: 30_000 }).toBe("4");
      await expect(
        other.evaluate(async () => Boolean((await navigator.serviceWorker.getRegistration())?.waiting)),
      ).resolves.toBe(false);
      await expect(other.evaluate(() => (window as Marked).notReloaded)).resolves.toBe(true);

      await otherNotice.getByRole("button", { name: "Reload" }).click();
      const otherBuild = () => other.locator("meta[name=pifu-test-build]").getAttribute("content", { timeout: 30_000 });
      await expect.poll(otherBuild, { timeout: 30_000 }).toBe("4");
      await waitForModel(other, "1.0.0");
      expect(await otherNotice.count()).toBe(0);
    } finally {
      await other.close();
    }
  });

  it("reloads only the tab that asked: another tab's half-filled form survives, with a notice", async () => {
    // A second tab of the same profile, loaded under the worker in charge, as the first one is.
    const other = await app.browser.context.newPage();
    try {
      await other.goto(app.stack.app.url);
      await waitForModel(other, "1.0.0");
      for (const tab of [page, other]) {
        await expect(tab.evaluate(() => Boolean(navigator.serviceWorker.controller))).resolves.toBe(true);
      }
      await checkPhoto(other, 82);

      await updateTo(5);
      const otherNotice = other.getByTestId("update-notice");
      await otherNotice.filter({ hasText: "A new version of pifu is ready." }).waitFor();
      // The notice, fixed above the bottom navigation, leaves the end of the screen reachable.
      await expectClearOfNotice(other, other.getByRole("button", { name: "New check" }));
      await other.getByRole("button", { name: "Doctor mode: confirm or correct" }).click();
      await expectClearOfNotice(other, other.getByRole("button", { name: "Cancel" }));
      await other.getByRole("radio").nth(2).check();
      await other.locator("select[name=bodySite]").selectOption("arm");
      await other.evaluate(() => {
        (window as Marked).notReloaded = true;
        (window as Marked).oldWorker = navigator.serviceWorker.controller;
      });

      await page.getByTestId("update-notice").getByRole("button", { name: "Reload" }).click();
      await expect.poll(build, { timeout: 30_000 }).toBe("5");
      await waitForModel(page, "1.0.0");
      // The new version takes charge of the other tab too (reloaded or not, the old worker is gone)…
      await expect
        .poll(() => other.evaluate(() => navigator.serviceWorker.controller !== (window as Marked).oldWorker))
        .toBe(true);
      // …but that tab is as its user left it, with a notice.
      await expect(other.evaluate(() => (window as Marked).notReloaded)).resolves.toBe(true);
      await otherNotice.filter({ hasText: "pifu was updated in another tab. Reload when ready." }).waitFor();
      await expectClearOfNotice(other, other.getByRole("button", { name: "Cancel" }));
      await expect(other.getByRole("radio").nth(2).isChecked()).resolves.toBe(true);
      await expect(other.locator("select[name=bodySite]").inputValue()).resolves.toBe("arm");
      expect(await other.locator("meta[name=pifu-test-build]").getAttribute("content")).toBe("4");

      await otherNotice.getByRole("button", { name: "Reload" }).click();
      const otherBuild = () => other.locator("meta[name=pifu-test-build]").getAttribute("content", { timeout: 30_000 });
      await expect.poll(otherBuild, { timeout: 30_000 }).toBe("5");
      await waitForModel(other, "1.0.0");
      await expect(other.evaluate(() => (window as Marked).notReloaded)).resolves.toBeUndefined();
      expect(await otherNotice.count()).toBe(0);
    } finally {
      await other.close();
    }
  });
});

/** Scrolls to the bottom of the page and expects `target` to lie wholly outside the update notice. */
async function expectClearOfNotice(tab: Page, target: Locator): Promise<void> {
  await tab.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  const box = await target.boundingBox();
  const notice = await tab.getByTestId("update-notice").boundingBox();
  if (!box || !notice) throw new Error("the button or the notice is not on screen");
  const overlaps =
    box.x < notice.x + notice.width &&
    notice.x < box.x + box.width &&
    box.y < notice.y + notice.height &&
    notice.y < box.y + box.height;
  expect(overlaps, `${JSON.stringify(box)} under the notice at ${JSON.stringify(notice)}`).toBe(false);
}
