/**
 * Settings in Chromium against the real API under workerd: messages already shown follow a language
 * switch, an update check clears the last one's outcome, a channel change checks that channel (Beta,
 * where nothing is published, says so), and feedback that cannot be sent says why and when it is tried
 * again. The API is made to fail with page.route.
 */
import { exampleFeedback } from "@pifu/core/testing";
import type { Page, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { goTo, putRow, waitForModel } from "./app-page.js";
import { type AppUnderTest, startAppUnderTest } from "./app-under-test.js";

let app: AppUnderTest;
let page: Page;

beforeAll(async () => {
  app = await startAppUnderTest({ name: "settings", models: [{ version: "1.0.0", seed: 1 }], embedded: "1.0.0" });
  page = await app.browser.context.newPage();
  await page.goto(app.stack.app.url);
  await waitForModel(page, "1.0.0");
}, 300_000);

afterAll(() => app?.close());

const CHANNELS = "**/v1/channels/**";
const FEEDBACK = "**/v1/feedback/batch";
const unavailable = (route: Route) => route.fulfill({ status: 503, body: "down" });
const updateStatus = (text: string) => page.getByTestId("update-status").filter({ hasText: text }).waitFor();
const language = (name: "中文" | "English") => page.getByRole("button", { name, exact: true }).click();

/** Opens Settings in English, whatever language an earlier test (failing midway) left. */
async function englishSettings(): Promise<void> {
  await page
    .getByRole("navigation")
    .getByRole("button", { name: /^(Settings|设置)$/ })
    .click();
  await language("English");
}

describe("Settings", () => {
  it("says a failed update check again in the language switched to", async () => {
    await page.route(CHANNELS, unavailable);
    try {
      await englishSettings();
      await page.getByRole("button", { name: "Check for update" }).click();
      await updateStatus("Could not reach the model server: the server answered with error 503");
      await language("中文");
      await updateStatus("无法连接模型服务器：服务器返回错误 503");
      await language("English");
      await updateStatus("Could not reach the model server");
    } finally {
      await page.unroute(CHANNELS);
    }
  });

  it("clears the last check's outcome while a new check runs", async () => {
    let answer = () => {};
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    let checks = 0;
    // The first check fails at once, the second only when the test says.
    await page.route(CHANNELS, async (route) => {
      if (++checks > 1) await answered;
      await route.fulfill({ status: checks > 1 ? 500 : 503, body: "down" });
    });
    try {
      await englishSettings();
      await page.getByRole("button", { name: "Check for update" }).click();
      await updateStatus("the server answered with error 503");
      await page.getByRole("button", { name: "Check for update" }).click();
      await page.getByRole("button", { name: "Checking…" }).waitFor();
      expect(await page.getByTestId("update-status").count()).toBe(0);
      answer();
      await updateStatus("the server answered with error 500");
    } finally {
      await page.unroute(CHANNELS);
    }
  });

  it("checks the channel chosen at once, and says Beta has no model yet rather than that this one is the latest", async () => {
    await englishSettings();
    await page.getByLabel("Update channel").selectOption("beta");
    await updateStatus("The Beta channel has no model yet; keeping model 1.0.0.");
    await language("中文");
    await updateStatus("测试版渠道还没有模型，继续使用模型 1.0.0。");
    await language("English");
    await page.getByLabel("Update channel").selectOption("stable");
    await updateStatus("You have model 1.0.0, the one the Stable channel serves.");
  });

  it("says Home's photo error again in the language switched to", async () => {
    await englishSettings();
    await goTo(page, "Check");
    await page
      .getByTestId("photo-input")
      .setInputFiles({ name: "not-a-photo.png", mimeType: "image/png", buffer: Buffer.from("not an image") });
    await page.getByText("This file could not be read as an image.").waitFor();
    await goTo(page, "Settings");
    await language("中文");
    await goTo(page, "检查");
    await page.getByText("无法读取这个文件。请换一张照片。").waitFor();
    await goTo(page, "设置");
    await language("English");
  });

  it("says why feedback is not sent and when it is tried again, until it is sent", async () => {
    await page.route(FEEDBACK, unavailable);
    try {
      await putRow(page, "feedback", {
        record: exampleFeedback({ modelVersion: "1.0.0" }),
        status: "pending",
        attempts: 0,
      });
      await page.reload();
      await waitForModel(page, "1.0.0");
      await englishSettings();
      const failure = page.getByTestId("send-failure");
      await failure
        .filter({ hasText: "The last try to send feedback failed (the server answered with error 503). Next try at" })
        .waitFor({ timeout: 30_000 });
      expect(await page.getByTestId("pending").textContent()).toBe("Feedback waiting to send: 1");
      await language("中文");
      await failure.filter({ hasText: "上次发送反馈失败（服务器返回错误 503）。下次尝试时间：" }).waitFor();
      await language("English");
    } finally {
      await page.unroute(FEEDBACK);
    }
    // Backoff is under a minute; once a send succeeds the failure is gone.
    await page.getByTestId("send-failure").waitFor({ state: "detached", timeout: 70_000 });
    await page.getByTestId("pending").filter({ hasText: "Feedback waiting to send: 0" }).waitFor();
  });
});
