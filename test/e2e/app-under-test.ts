/**
 * What the app's end-to-end files share: fixture models written to a temporary folder, the stack with
 * one of them embedded and published to stable, and a Chromium profile. One of each per file.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { publishModelDir } from "../../api/src/cli/publish-lib.js";
import { type FixtureModelOptions, writeFixtureModel } from "../../pwa/testing/fixture-model.js";
import { type Chromium, launchChromium } from "./browser.js";
import { type Stack, type StackOptions, startStack } from "./stack.js";

export interface AppUnderTest {
  stack: Stack;
  browser: Chromium;
  /** The fixture model folders by version. */
  modelDirs: Record<string, string>;
  /** Publishes a fixture version and points the stable channel at it. */
  publish(version: string): Promise<void>;
  close(): Promise<void>;
}

export interface AppUnderTestOptions extends Omit<StackOptions, "embeddedModelDir"> {
  /** Names the temporary folder, so a leftover one says which file left it. */
  name: string;
  models: FixtureModelOptions[];
  /** The version built into the app and published to stable before the browser starts. */
  embedded: string;
}

export async function startAppUnderTest(options: AppUnderTestOptions): Promise<AppUnderTest> {
  const { name, models, embedded, ...stackOptions } = options;
  const work = await mkdtemp(join(tmpdir(), `pifu-e2e-${name}-`));
  const closers: Array<() => Promise<void>> = [() => rm(work, { recursive: true, force: true })];
  const close = async () => {
    for (const closeOne of closers.splice(0).reverse()) await closeOne();
  };
  try {
    const modelDirs = await writeFixtureModels(work, models);
    const modelDir = (version: string) => {
      const dir = modelDirs[version];
      if (!dir) throw new Error(`no fixture model ${version} in this file's list`);
      return dir;
    };
    const stack = await startStack({ ...stackOptions, embeddedModelDir: modelDir(embedded) });
    closers.push(() => stack.close());
    const publish = (version: string) => publishToStable(stack, modelDir(version));
    await publish(embedded);
    const browser = await launchChromium();
    closers.push(() => browser.close());
    return { stack, browser, modelDirs, publish, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Writes one fixture model folder per entry under `dir`; the folders by version. */
async function writeFixtureModels(dir: string, models: FixtureModelOptions[]): Promise<Record<string, string>> {
  const dirs: Record<string, string> = {};
  for (const model of models) {
    dirs[model.version] = join(dir, model.version);
    await writeFixtureModel(join(dir, model.version), model);
  }
  return dirs;
}

/** Publishes a model folder to the stack's API and points the stable channel at it. */
async function publishToStable(stack: Stack, dir: string): Promise<void> {
  await publishModelDir({ api: stack.api.url, token: stack.api.adminToken, dir, channel: "stable" });
}
