/**
 * A model update that lands while a check is running, in Chromium against the real API: the check
 * finishes on the model it started with and says so, and the checks after it use the new model.
 * Photo decoding waits at a gate the test opens, so the update lands mid-check every time.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishModelDir } from "../../api/src/cli/publish-lib.js";
import {
  checkPhoto,
  closeDecodeGate,
  countRows,
  focusedScreen,
  gateDecoding,
  goTo,
  openDecodeGate,
  pickPhoto,
  RESULT_FOCUSED,
  readRows,
  waitAtDecodeGate,
  waitForModel,
} from "./app-page.js";
import { type AppUnderTest, startAppUnderTest } from "./app-under-test.js";

let app: AppUnderTest;
let page: Page;

beforeAll(async () => {
  app = await startAppUnderTest({
    name: "swap",
    models: [
      { version: "1.0.0", seed: 1 },
      { version: "1.1.0", seed: 2 },
      { version: "1.2.0", seed: 3 },
      { version: "1.3.0", seed: 4 },
    ],
    embedded: "1.0.0",
  });
  page = await app.browser.context.newPage();
  await gateDecoding(page);
  await page.goto(app.stack.app.url);
}, 300_000);

afterAll(() => app?.close());

const storedVersions = async () => (await readRows<{ version: string }>(page, "models")).map((m) => m.version);

const historyVersions = async () =>
  (await readRows<{ createdAt: number; modelVersion: string }>(page, "history"))
    .sort((a, b) => a.createdAt - b.createdAt)
    .map((entry) => entry.modelVersion);

describe("a model update during a check", () => {
  it("finishes the check on the model it started with, and later checks use the new one", async () => {
    await waitForModel(page, "1.0.0");
    await app.publish("1.1.0");
    await closeDecodeGate(page);
    await pickPhoto(page, 51);
    await waitAtDecodeGate(page);

    await goTo(page, "Settings");
    await page.getByRole("button", { name: "Check for update" }).click();
    await waitForModel(page, "1.1.0");
    // Back where the check's result, or its error, shows before the check can go on.
    await goTo(page, "Check");
    await openDecodeGate(page);
    await page
      .locator("[data-testid=result]")
      .or(page.getByText("The photo could not be checked"))
      .first()
      .waitFor({ timeout: 30_000 });
    await expect(page.locator("main").textContent()).resolves.not.toContain("could not be checked");
    expect(await page.getByTestId("match").count()).toBe(3);
    expect(await historyVersions()).toEqual(["1.0.0"]);
    // The map reruns the model: 1.1.0 did not make this result, so it may not draw one for it.
    expect(await page.getByRole("button", { name: "Show what the model looked at" }).count()).toBe(0);

    await checkPhoto(page, 52);
    expect(await page.getByTestId("match").count()).toBe(3);
    expect(await historyVersions()).toEqual(["1.0.0", "1.1.0"]);
    await page.getByRole("button", { name: "Show what the model looked at" }).click();
    await page.getByTestId("heatmap").waitFor();
  });

  it("runs one update check at a time, however fast the button is tapped", async () => {
    await waitForModel(page, "1.1.0");
    await app.publish("1.2.0");
    const channelFetches: string[] = [];
    page.on("request", (request) => {
      if (request.url().includes("/v1/channels/")) channelFetches.push(request.url());
    });
    await goTo(page, "Settings");
    // Two taps before the app can re-render and disable the button.
    await page.getByRole("button", { name: "Check for update" }).evaluate((button: HTMLButtonElement) => {
      button.click();
      button.click();
    });
    await waitForModel(page, "1.2.0");
    await page.getByText("Updated to model 1.2.0.").waitFor();
    expect(channelFetches).toHaveLength(1);
  });
});

describe("one check at a time", () => {
  it("takes no second photo while a check runs, and leaves the user on the screen they went to", async () => {
    await waitForModel(page, "1.2.0");
    const before = await countRows(page, "history");
    await closeDecodeGate(page);
    await pickPhoto(page, 53);
    await waitAtDecodeGate(page);
    for (const input of ["camera-input", "photo-input"])
      await expect(page.getByTestId(input).isDisabled(), input).resolves.toBe(true);

    await goTo(page, "History");
    await expect.poll(() => page.getByTestId("history-item").count()).toBe(before);
    await openDecodeGate(page);
    await expect.poll(() => countRows(page, "history"), { timeout: 30_000 }).toBe(before + 1);
    // The list on screen shows the check that finished meanwhile, without leaving History.
    await expect.poll(() => page.getByTestId("history-item").count()).toBe(before + 1);
    // Still on History: the result waits on Home.
    await expect(page.getByTestId("history").isVisible()).resolves.toBe(true);
    expect(await page.getByTestId("result").count()).toBe(0);
    await goTo(page, "Check");
    await expect(page.getByTestId("photo-input").isDisabled()).resolves.toBe(false);
    await page.getByTestId("result-ready").getByRole("button", { name: "Show it" }).click();
    await page.getByTestId("result").waitFor();
    await expect.poll(() => focusedScreen(page)).toEqual(RESULT_FOCUSED);
    await page.getByTestId("checked-photo").waitFor();
  });

  it('checks a photo once when "Check anyway" is tapped twice', async () => {
    const before = await countRows(page, "history");
    await checkPhoto(page, 54, { level: 15 });
    await page.getByTestId("quality").waitFor();
    // Two taps in one task: both run before the button can turn disabled.
    await page.getByRole("button", { name: "Check anyway" }).evaluate((button: HTMLButtonElement) => {
      button.click();
      button.click();
    });
    await page.getByTestId("result").waitFor();
    // A second run would be saved long before the next photo's check, the first entry without problems.
    await checkPhoto(page, 55);
    const newestProblems = async () => {
      const history = await readRows<{ createdAt: number; qualityProblems: string[] }>(page, "history");
      return history.sort((a, b) => b.createdAt - a.createdAt)[0]?.qualityProblems;
    };
    await expect.poll(newestProblems).toEqual([]);
    expect(await countRows(page, "history")).toBe(before + 2);
  });

  it("follows the chosen channel back from beta, to a downloaded or the built-in model, and says which", async () => {
    await waitForModel(page, "1.2.0");
    const { api } = app.stack;
    await publishModelDir({
      api: api.url,
      token: api.adminToken,
      dir: app.modelDirs["1.3.0"] as string,
      channel: "beta",
    });
    await goTo(page, "Settings");
    const check = () => page.getByRole("button", { name: "Check for update" }).click();
    const status = (text: string) => page.getByTestId("update-status").filter({ hasText: text }).waitFor();
    // Choosing a channel checks it.
    await page.getByLabel("Update channel").selectOption("beta");
    await waitForModel(page, "1.3.0");
    await status("Updated to model 1.3.0.");

    await page.getByLabel("Update channel").selectOption("stable");
    await waitForModel(page, "1.2.0");
    await status("Switched to model 1.2.0, the one the Stable channel serves.");
    expect(await storedVersions()).toEqual(["1.2.0"]);
    await check();
    await status("You have model 1.2.0, the one the Stable channel serves.");

    // Stable rolled back to the built-in version: the app goes back to it, and stays there after a reload.
    await app.publish("1.0.0");
    await check();
    await waitForModel(page, "1.0.0");
    await status("Switched to model 1.0.0, the one the Stable channel serves.");
    expect(await storedVersions()).toEqual([]);
    await page.reload();
    await waitForModel(page, "1.0.0");
    await goTo(page, "Settings");
    await check();
    await status("You have model 1.0.0, the one the Stable channel serves.");
    await expect(page.getByTestId("header-meta").textContent()).resolves.toContain("v1.0.0");
  });
});
