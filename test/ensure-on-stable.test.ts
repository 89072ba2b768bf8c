/**
 * `npm start`'s model step (pwa/build/ensure-on-stable.ts) against the API under local workerd: the
 * embedded version is always published, stable moves to it only forward, and a version the API holds
 * with another card (other files, or the same files under an edited card) is refused, in publish-model's words.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ModelCard } from "@pifu/core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type LocalApi, startLocalApi } from "../api/src/dev/local-api.js";
import { ensureOnStable } from "../pwa/build/ensure-on-stable.js";
import { copyModelFolder, writeFixtureModel } from "../pwa/testing/fixture-model.js";

/** How often model-card.json has been read since the last reset: ensureOnStable reads it once. */
const cardReads = vi.hoisted(() => ({ count: 0 }));
vi.mock("node:fs/promises", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs/promises")>();
  const readFile = ((...args: Parameters<typeof fs.readFile>) => {
    if (String(args[0]).endsWith("model-card.json")) cardReads.count++;
    return fs.readFile(...args);
  }) as typeof fs.readFile;
  return { ...fs, readFile, default: { ...fs, readFile } };
});

let api: LocalApi;
let work: string;
const logged: string[] = [];

async function fixture(name: string, version: string, seed: number): Promise<string> {
  const dir = join(work, name);
  await writeFixtureModel(dir, { version, seed });
  return dir;
}

/** A copy of the "older" fixture folder with its card rewritten by `rewrite` (the parsed card → file text). */
async function copyOfOlder(name: string, rewrite: (card: ModelCard) => string): Promise<string> {
  const dir = join(work, name);
  await copyModelFolder(join(work, "older"), dir, rewrite);
  return dir;
}

const ensure = (dir: string) => ensureOnStable(api.url, api.adminToken, dir, (line) => logged.push(line));
const stableVersion = async () =>
  ((await (await fetch(`${api.url}/v1/channels/stable`)).json()) as { version: string }).version;
const isPublished = async (version: string) => (await fetch(`${api.url}/v1/models/${version}/card`)).ok;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pifu-ensure-stable-"));
  api = await startLocalApi();
}, 180_000);

afterAll(async () => {
  await api?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("ensureOnStable", () => {
  it("publishes the embedded model on an empty API and puts it on stable", async () => {
    const dir = await fixture("a", "2.0.0", 1);
    cardReads.count = 0;
    await ensure(dir);
    expect(cardReads.count).toBe(1);
    expect(await stableVersion()).toBe("2.0.0");
  });

  it("is a no-op the second time", async () => {
    logged.length = 0;
    await ensure(join(work, "a"));
    expect(logged).toEqual(["stable already serves model 2.0.0"]);
  });

  it("publishes an older embedded model without moving stable back", async () => {
    expect(await isPublished("1.0.0")).toBe(false);
    await ensure(await fixture("older", "1.0.0", 2));
    expect(await isPublished("1.0.0")).toBe(true);
    expect(await stableVersion()).toBe("2.0.0");
  });

  it("refuses a folder whose version the API holds with other files, and leaves stable as it was", async () => {
    await expect(ensure(await fixture("clash", "1.0.0", 3))).rejects.toThrow(
      /version 1\.0\.0 is already published with a different card; versions are immutable/,
    );
    expect(await stableVersion()).toBe("2.0.0");
  });

  it("refuses a folder with the same version and files but an edited card, as publish-model does", async () => {
    const edited = await copyOfOlder("edited", (card) => {
      card.metrics.val.accuracy = 0.5;
      return JSON.stringify(card, null, 2);
    });
    await expect(ensure(edited)).rejects.toThrow(
      /version 1\.0\.0 is already published with a different card; versions are immutable/,
    );
    expect(await stableVersion()).toBe("2.0.0");
  });

  it("accepts the very card it published, whatever the file's formatting", async () => {
    const reformatted = await copyOfOlder("reformatted", (card) => JSON.stringify(card));
    logged.length = 0;
    await ensure(reformatted);
    expect(logged).toEqual(["stable already serves model 2.0.0"]);
  });

  it("moves stable forward to a newer embedded model", async () => {
    await ensure(await fixture("newer", "2.1.0", 4));
    expect(await stableVersion()).toBe("2.1.0");
  });
});
