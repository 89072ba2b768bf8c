/**
 * The PWA's feedback queue in Chromium's IndexedDB against the real API under workerd. A record the
 * API refuses because its model version is not published waits: it is not sent again before its
 * interval, the API takes it once the version is published, and it is given up only when still
 * refused 30 days after its first refusal. Other refusals are set aside at once. The upgrade from
 * database version 1 puts back the records version 1 set aside for an unpublished version. The sync
 * is given its times, so hours and days pass at once. A sync through a network that drops requests and
 * answers mid-way still gets every record to the API once, in batches, and settles none unanswered.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FeedbackRecord } from "@pifu/core";
import { exampleFeedback } from "@pifu/core/testing";
import type { Page, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishModelDir } from "../../api/src/cli/publish-lib.js";
import { type LocalApi, startLocalApi } from "../../api/src/dev/local-api.js";
import type { QueuedFeedback } from "../../pwa/src/db.js";
import type { FeedbackCounts } from "../../pwa/src/feedback/queue.js";
import { writeFixtureModel } from "../../pwa/testing/fixture-model.js";
import { createVersion1Database } from "./app-page.js";
import { bundleForBrowser, type Chromium, launchChromium } from "./browser.js";

/** The app's own queue and sync modules, bundled for a page on the API's origin. */
const ENTRY = `
import { db } from "./pwa/src/db.ts";
import { enqueueFeedback, feedbackCounts, readQueue } from "./pwa/src/feedback/queue.ts";
import { BATCH_LIMIT, FeedbackSync, sendBatch } from "./pwa/src/feedback/sync.ts";
globalThis.pifuQueue = {
  enqueue: enqueueFeedback,
  startSync: (timeoutMs) => new FeedbackSync(location.origin, () => {}, timeoutMs).start(),
  put: async (item) => void (await db()).put("feedback", item),
  rows: async () => (await db()).getAll("feedback"),
  counts: feedbackCounts,
  version: async () => (await db()).version,
  send: async (now, startedAt) => sendBatch(location.origin, (await readQueue(BATCH_LIMIT, now, startedAt)).due, now),
};
`;

interface QueueWindow {
  pifuQueue: {
    enqueue(record: FeedbackRecord): Promise<void>;
    /** Starts the app's sync, which gives up on a request after `timeoutMs`. */
    startSync(timeoutMs: number): void;
    put(item: unknown): Promise<void>;
    rows(): Promise<QueuedFeedback[]>;
    counts(): Promise<FeedbackCounts>;
    version(): Promise<number>;
    /** One batch of the records due at `now` in an app started at `startedAt`; how many it settled. */
    send(now: number, startedAt: number): Promise<number>;
  };
}

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 10, 25, 9);

let work: string;
let api: LocalApi;
let browser: Chromium;
let bundle: string;
const modelDirs: Record<string, string> = {};

const publish = (version: string) =>
  publishModelDir({ api: api.url, token: api.adminToken, dir: modelDirs[version] as string });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pifu-e2e-feedback-"));
  for (const version of ["5.0.0", "5.1.0"]) {
    modelDirs[version] = join(work, version);
    await writeFixtureModel(modelDirs[version], { version });
  }
  api = await startLocalApi({ feedbackRateLimit: 10_000 });
  await publish("5.1.0");
  bundle = await bundleForBrowser(ENTRY);
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await api?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/**
 * A page on the API's origin (so IndexedDB works and the sync needs no CORS) with no database, or
 * the one `prepare` writes, and the queue loaded. Close it before the next one deletes the database.
 */
async function openQueue(prepare?: (page: Page) => Promise<void>): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(`${api.url}/v1/health`);
  await page.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const request = indexedDB.deleteDatabase("pifu");
        request.onsuccess = () => resolve();
        request.onerror = () => reject(request.error);
        request.onblocked = () => reject(new Error("a connection to the pifu database is still open"));
      }),
  );
  await prepare?.(page);
  await page.addScriptTag({ content: bundle });
  return page;
}

const enqueue = (page: Page, records: FeedbackRecord[]) =>
  page.evaluate(async (list) => {
    for (const record of list) await (window as unknown as QueueWindow).pifuQueue.enqueue(record);
  }, records);
const putRaw = (page: Page, item: unknown) =>
  page.evaluate((value) => (window as unknown as QueueWindow).pifuQueue.put(value), item);
const rows = (page: Page) => page.evaluate(() => (window as unknown as QueueWindow).pifuQueue.rows());
const counts = (page: Page) => page.evaluate(() => (window as unknown as QueueWindow).pifuQueue.counts());
const send = (page: Page, now: number, startedAt: number) =>
  page.evaluate(([n, s]) => (window as unknown as QueueWindow).pifuQueue.send(n, s), [now, startedAt] as const);
const rowOf = async (page: Page, id: string) => (await rows(page)).find((item) => item.record.id === id);

/** The ids of the records the API holds for `version`. */
async function storedIds(version: string): Promise<string[]> {
  const res = await fetch(`${api.url}/v1/feedback/export?format=jsonl&modelVersion=${version}`, {
    headers: { authorization: `Bearer ${api.adminToken}` },
  });
  expect(res.status).toBe(200);
  const text = (await res.text()).trim();
  return text ? text.split("\n").map((line) => (JSON.parse(line) as FeedbackRecord).id) : [];
}

describe("the feedback queue", () => {
  it("keeps a record for an unpublished version waiting and sends it again only after 6 hours", async () => {
    const page = await openQueue();
    try {
      const early = exampleFeedback({ modelVersion: "5.0.0" });
      const accepted = exampleFeedback({ modelVersion: "5.1.0" });
      const badLabel = exampleFeedback({ modelVersion: "5.1.0", confirmedLabel: "totally_fake" });
      await enqueue(page, [early, accepted, badLabel]);
      // A record this app's schema takes but the API's does not (an API newer than the app).
      const badSchema = { ...exampleFeedback({ modelVersion: "5.1.0" }), locale: "fr" };
      await putRaw(page, { record: badSchema, status: "pending", attempts: 0 });

      expect(await send(page, T0, T0)).toBe(4);
      expect(await counts(page)).toEqual({ pending: 0, waiting: 1, rejected: 2 });
      expect(await rowOf(page, early.id)).toMatchObject({
        status: "waiting",
        attempts: 1,
        waitingSince: T0,
        triedAt: T0,
        error: "model 5.0.0 is not published",
      });
      expect(await rowOf(page, accepted.id)).toBeUndefined();
      expect((await rowOf(page, badLabel.id))?.status).toBe("rejected");
      expect((await rowOf(page, badLabel.id))?.error).toContain('confirmedLabel "totally_fake" is unknown');
      expect((await rowOf(page, badSchema.id))?.status).toBe("rejected");
      expect((await rowOf(page, badSchema.id))?.error).toContain("locale");
      // Nothing is due right after: no second request, however often the sync runs.
      expect(await send(page, T0, T0)).toBe(0);

      await publish("5.0.0");
      expect(await send(page, T0 + 6 * HOUR - 1, T0)).toBe(0);
      expect(await storedIds("5.0.0")).toEqual([]);
      expect(await send(page, T0 + 6 * HOUR, T0)).toBe(1);
      expect(await rowOf(page, early.id)).toBeUndefined();
      expect(await storedIds("5.0.0")).toEqual([early.id]);
      expect(await counts(page)).toEqual({ pending: 0, waiting: 0, rejected: 2 });
    } finally {
      await page.close();
    }
  });

  it("sends a waiting record again at each app start and gives it up 30 days after its first refusal", async () => {
    const page = await openQueue();
    try {
      const record = exampleFeedback({ modelVersion: "6.0.0" });
      await enqueue(page, [record]);
      expect(await send(page, T0, T0)).toBe(1);
      // Saved again (a corrected label, say): sent at the next sync, but its wait still counts from T0.
      await enqueue(page, [record]);
      expect(await rowOf(page, record.id)).toMatchObject({ status: "pending", attempts: 0, waitingSince: T0 });
      // The app starts again an hour later.
      expect(await send(page, T0 + HOUR, T0 + HOUR)).toBe(1);
      expect(await send(page, T0 + 2 * HOUR, T0 + HOUR)).toBe(0);
      expect(await rowOf(page, record.id)).toMatchObject({ status: "waiting", waitingSince: T0, triedAt: T0 + HOUR });

      const start = T0 + 30 * DAY - 1;
      expect(await send(page, start, start)).toBe(1);
      expect((await rowOf(page, record.id))?.status).toBe("waiting");
      expect(await send(page, T0 + 30 * DAY, T0 + 30 * DAY)).toBe(1);
      expect(await rowOf(page, record.id)).toMatchObject({
        status: "rejected",
        attempts: 3,
        error: "model 6.0.0 is not published, still 30 days after it was first refused; no longer sent",
      });
      expect(await send(page, T0 + 40 * DAY, T0 + 40 * DAY)).toBe(0);
      expect(await counts(page)).toEqual({ pending: 0, waiting: 0, rejected: 1 });
    } finally {
      await page.close();
    }
  });

  it("settles only the records an answer names, so an answer that names none is not sent again in a loop", async () => {
    const page = await openQueue();
    try {
      const record = exampleFeedback({ modelVersion: "5.1.0" });
      await enqueue(page, [record]);
      // A server that answers for a record it was not sent (an index out of the batch, no id).
      await page.route("**/v1/feedback/batch", (route) =>
        route.fulfill({ json: { results: [{ index: 7, id: null, status: "invalid", code: "invalid_record" }] } }),
      );
      expect(await send(page, T0, T0)).toBe(0);
      expect(await rowOf(page, record.id)).toMatchObject({ status: "pending", attempts: 0 });
      await page.unroute("**/v1/feedback/batch");
      expect(await send(page, T0, T0)).toBe(1);
      expect(await storedIds("5.1.0")).toContain(record.id);
    } finally {
      await page.close();
    }
  });

  it("upgrades a version 1 database, putting back records set aside for an unpublished version", async () => {
    const queued = exampleFeedback({ modelVersion: "5.1.0" });
    const unpublished = exampleFeedback({ modelVersion: "6.1.0" });
    const badLabel = exampleFeedback({ modelVersion: "5.1.0", confirmedLabel: "totally_fake" });
    const v1Rows = [
      { record: queued, status: "pending", attempts: 0 },
      { record: unpublished, status: "rejected", attempts: 1, error: "model 6.1.0 is not published" },
      { record: badLabel, status: "rejected", attempts: 1, error: 'confirmedLabel "totally_fake" is unknown' },
    ];
    const writeV1 = (page: Page) => createVersion1Database(page, { feedback: v1Rows, settings: { locale: "zh" } });
    const before = Date.now();
    const page = await openQueue(writeV1);
    try {
      expect(await counts(page)).toEqual({ pending: 1, waiting: 1, rejected: 1 });
      expect(await page.evaluate(() => (window as unknown as QueueWindow).pifuQueue.version())).toBe(2);
      const requeued = await rowOf(page, unpublished.id);
      expect(requeued).toMatchObject({ status: "waiting", attempts: 1, triedAt: 0 });
      expect(requeued?.waitingSince).toBeGreaterThanOrEqual(before);
      expect(await rowOf(page, badLabel.id)).toEqual(v1Rows[2]);
      expect(await rowOf(page, queued.id)).toEqual(v1Rows[0]);

      // The first sync of the app sends both: the queued one is stored, the other waits on.
      const now = Date.now();
      expect(await send(page, now, now)).toBe(2);
      expect(await storedIds("5.1.0")).toContain(queued.id);
      expect(await counts(page)).toEqual({ pending: 0, waiting: 1, rejected: 1 });
    } finally {
      await page.close();
    }
  });

  it("gets every record to the API once, in batches, through a network that drops a request and an answer", async () => {
    const page = await openQueue();
    /** Each batch request's record ids, and whether its answer reached the page. */
    const requests: { ids: string[]; answered: boolean }[] = [];
    try {
      await page.route("**/v1/feedback/batch", async (route) => {
        const ids = (route.request().postDataJSON() as { records: FeedbackRecord[] }).records.map((r) => r.id);
        const request = { ids, answered: false };
        requests.push(request);
        // The second request never reaches the API; the third does, but its answer is lost.
        if (requests.length === 2) return route.abort("internetdisconnected");
        const response = await route.fetch();
        if (requests.length === 3) return route.abort("connectionreset");
        request.answered = true;
        return route.fulfill({ response });
      });
      const records = Array.from({ length: 230 }, () => exampleFeedback({ modelVersion: "5.1.0" }));
      await enqueue(page, records);
      await page.evaluate(() => (window as unknown as QueueWindow).pifuQueue.startSync(10_000));
      await expect.poll(() => rows(page), { timeout: 30_000, interval: 200 }).toEqual([]);

      expect(requests.length).toBeGreaterThanOrEqual(5);
      for (const { ids } of requests) expect(ids.length).toBeLessThanOrEqual(100);
      for (const { id } of records) {
        const carrying = requests.filter((request) => request.ids.includes(id));
        // Sent again only while no answer came: the last request that carried it was answered, none before.
        expect(carrying.map((request) => request.answered)).toEqual([...carrying.slice(1).map(() => false), true]);
      }
      const ours = new Set(records.map((record) => record.id));
      const stored = (await storedIds("5.1.0")).filter((id) => ours.has(id));
      expect(stored).toHaveLength(records.length);
      expect(new Set(stored).size).toBe(records.length);
    } finally {
      await page.unrouteAll({ behavior: "ignoreErrors" });
      await page.close();
    }
  });

  it("counts a request the server never answers as failed, and sends the queue on its next try", async () => {
    const page = await openQueue();
    const hung: Route[] = [];
    try {
      await page.route("**/v1/feedback/batch", (route) => {
        // The first request gets no answer at all, as behind a dead connection.
        if (hung.length === 0) hung.push(route);
        else void route.continue();
      });
      const record = exampleFeedback({ modelVersion: "5.1.0" });
      await enqueue(page, [record]);
      await page.evaluate(() => (window as unknown as QueueWindow).pifuQueue.startSync(300));
      await expect.poll(() => rows(page), { timeout: 10_000, interval: 200 }).toEqual([]);
      expect(hung).toHaveLength(1);
      expect(await storedIds("5.1.0")).toContain(record.id);
    } finally {
      await page.unrouteAll({ behavior: "ignoreErrors" });
      await page.close();
    }
  });
});
