/** Launches Debian's Chromium through playwright-core, headless, with a throwaway profile. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { type BrowserContext, type BrowserContextOptions, chromium } from "playwright-core";

export const CHROMIUM = process.env.PIFU_CHROMIUM ?? "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // WebGL on SwiftShader when there is no GPU.
  "--enable-unsafe-swiftshader",
];

/** The phone the app is designed for: 360×740 CSS pixels. */
export const PHONE: BrowserContextOptions = {
  viewport: { width: 360, height: 740 },
  deviceScaleFactor: 1,
  isMobile: true,
  hasTouch: true,
  locale: "en-US",
};

export interface Chromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A persistent context (service workers and IndexedDB behave as in a real profile). */
export async function launchChromium(options: BrowserContextOptions = PHONE): Promise<Chromium> {
  const profile = await mkdtemp(join(tmpdir(), "pifu-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    ...options,
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * `entry` (TypeScript importing the app's own modules by paths from the repository root) bundled into
 * one script a page can run with addScriptTag.
 */
export async function bundleForBrowser(entry: string): Promise<string> {
  const built = await build({
    stdin: { contents: entry, resolveDir: join(import.meta.dirname, "../.."), loader: "ts" },
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
  });
  return built.outputFiles[0]?.text ?? "";
}
