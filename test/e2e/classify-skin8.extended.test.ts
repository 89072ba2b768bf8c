/**
 * With ../shared present: the PWA in Chromium classifies real skin8 validation photos with the shipped
 * model, and its top-1 equals what the evaluate CLI (Node, sharp decoding) says for the same files.
 */
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runScriptOk } from "../../training/src/testing/cli.js";
import { hasShared, sharedDir } from "../../vitest.shared.js";
import { goTo, saveScreenshot, waitForModel } from "./app-page.js";
import { type Chromium, launchChromium } from "./browser.js";
import { type Stack, startStack } from "./stack.js";

const root = resolve(import.meta.dirname, "../..");
const modelDir = join(root, "models/default");
const evaluateCli = join(root, "training/src/cli/evaluate.ts");
const missing = [
  !hasShared && `${sharedDir}/data/skin8 (../shared)`,
  !existsSync(join(modelDir, "model-card.json")) && "models/default/model-card.json (the student export)",
  !existsSync(evaluateCli) && "training/src/cli/evaluate.ts (the evaluate CLI)",
].filter(Boolean);
if (missing.length > 0) console.warn(`[skip] skin8 PWA-vs-evaluate parity: missing ${missing.join(", ")}`);

const PER_CLASS = 1;

describe.skipIf(missing.length > 0)("a real skin8 photo in the PWA and in the evaluate CLI", () => {
  let work: string;
  let stack: Stack;
  let browser: Chromium;
  let page: Page;
  /** class id → the one validation image picked for it. */
  const picked = new Map<string, string>();

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "pifu-skin8-"));
    const card = JSON.parse(await readFile(join(modelDir, "model-card.json"), "utf8")) as { classes: { id: string }[] };
    for (const { id } of card.classes) {
      const folder = join(sharedDir, "data/skin8/val", id);
      const names = (await readdir(folder)).filter((n) => n.endsWith(".jpg")).sort();
      await mkdir(join(work, "data", id), { recursive: true });
      for (const name of names.slice(0, PER_CLASS)) {
        // A temporary copy outside the repo: the evaluate CLI reads a folder per class.
        await copyFile(join(folder, name), join(work, "data", id, name));
        picked.set(id, join(folder, name));
      }
    }
    stack = await startStack({ embeddedModelDir: modelDir });
    browser = await launchChromium();
    page = await browser.context.newPage();
    await page.goto(stack.app.url);
    await waitForModel(page);
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("gives the same top-1 for each image", { timeout: 600_000 }, async () => {
    const json = join(work, "evaluate.json");
    await runScriptOk("cli/evaluate.ts", [
      "--model",
      modelDir,
      "--data",
      join(work, "data"),
      "--json",
      json,
      "--batch",
      "1",
    ]);
    const evaluation = JSON.parse(await readFile(json, "utf8")) as { classes: string[]; confusion: number[][] };
    expect(picked.size).toBe(evaluation.classes.length);
    for (const [trueId, path] of picked) {
      // One image per true class, so its confusion row names the CLI's prediction for that image.
      const row = evaluation.confusion[evaluation.classes.indexOf(trueId)] ?? [];
      const cliTop1 = evaluation.classes[row.findIndex((count) => count > 0)];
      await goTo(page, "Check");
      await page.getByTestId("photo-input").setInputFiles(path);
      await page.locator("[data-testid=result], [data-testid=quality]").first().waitFor({ timeout: 60_000 });
      if (await page.getByTestId("quality").isVisible())
        await page.getByRole("button", { name: "Check anyway" }).click();
      await page.getByTestId("result").waitFor();
      const pwaTop1 = await page.getByTestId("match").first().getAttribute("data-class");
      expect(pwaTop1, `${trueId}: ${path}`).toBe(cliTop1);
      // The README's result screen: the shipped model on the first eczema photo of val, whatever it says.
      if (trueId === "eczema") await saveScreenshot(page, "result-skin8");
    }
  });
});
