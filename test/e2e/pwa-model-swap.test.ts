/**
 * A model update that lands while a check is running, in Chromium against the real API: the check
 * finishes on the model it started with and says so, and the checks after it use the new model.
 * Photo decoding waits at a gate the test opens, so the update lands mid-check every time.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkPhoto,
  closeDecodeGate,
  gateDecoding,
  goTo,
  openDecodeGate,
  pickPhoto,
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
    ],
    embedded: "1.0.0",
  });
  page = await app.browser.context.newPage();
  await gateDecoding(page);
  await page.goto(app.stack.app.url);
}, 300_000);

afterAll(() => app?.close());

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
