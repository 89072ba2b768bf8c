import { afterEach, describe, expect, it, vi } from "vitest";
import { fetchJson } from "../net.js";
import { feedbackCounts, type QueueState, readQueue, settleFeedback } from "./queue.js";
import { FeedbackSync, retryDelay, type SyncState } from "./sync.js";

vi.mock("./queue.js", () => ({
  readQueue: vi.fn(),
  feedbackCounts: vi.fn(),
  settleFeedback: vi.fn(),
}));
vi.mock("../net.js", () => ({ fetchJson: vi.fn() }));

describe("retryDelay", () => {
  it("doubles from one second and stops at a minute, with jitter between half and all of it", () => {
    expect([1, 2, 3, 4].map((n) => retryDelay(n, () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelay(20, () => 1)).toBe(60_000);
    expect(retryDelay(3, () => 0)).toBe(2000);
  });
});

describe("FeedbackSync", () => {
  afterEach(() => vi.clearAllMocks());

  const item = { record: { id: "a" }, status: "pending", attempts: 0 };
  const queueOf = (due: unknown[], pending: number, retryAt?: number): QueueState =>
    ({ due, counts: { pending, waiting: 0, rejected: 0 }, retryAt }) as QueueState;

  /** A sync whose states land in `states`; `next()` resolves at the next one. */
  function watched() {
    const states: SyncState[] = [];
    let stated = () => {};
    const sync = new FeedbackSync("", (state) => {
      states.push(state);
      stated();
    });
    const next = () =>
      new Promise<void>((resolve) => {
        stated = resolve;
      });
    return { sync, states, next };
  }

  it("tells why a send failed and when it tries again, and forgets it once a send succeeds", async () => {
    vi.mocked(feedbackCounts).mockResolvedValue({ pending: 1, waiting: 0, rejected: 0 });
    vi.mocked(readQueue).mockResolvedValue(queueOf([item], 1));
    const down = new Error("server down");
    vi.mocked(fetchJson).mockRejectedValueOnce(down);
    const { sync, states, next } = watched();

    const before = Date.now();
    let said = next();
    sync.trigger();
    await said;
    expect(states[0]?.lastError).toBe(down);
    // The first retry comes after half to all of a second.
    expect(states[0]?.retryAt).toBeGreaterThanOrEqual(before + 500);
    expect(states[0]?.retryAt).toBeLessThanOrEqual(Date.now() + 1000);
    // Nothing was settled: the record stays queued for the retry.
    expect(settleFeedback).not.toHaveBeenCalled();

    vi.mocked(fetchJson).mockResolvedValueOnce({ results: [{ index: 0, status: "accepted" }] });
    vi.mocked(settleFeedback).mockResolvedValueOnce(1);
    vi.mocked(readQueue)
      .mockResolvedValueOnce(queueOf([item], 1))
      .mockResolvedValue(queueOf([], 0));
    said = next();
    sync.trigger();
    await said;
    expect(states[1]).toEqual({ pending: 0, waiting: 0, rejected: 0 });
  });

  it("reads the queue once a batch: the last read, after the last send, gives the counts and the next retry", async () => {
    const batch = Array.from({ length: 3 }, (_, i) => ({ ...item, record: { id: `r${i}` } }));
    vi.mocked(readQueue)
      .mockResolvedValueOnce(queueOf(batch.slice(0, 2), 3))
      .mockResolvedValueOnce(queueOf(batch.slice(2), 1))
      .mockResolvedValueOnce(queueOf([], 0));
    vi.mocked(fetchJson).mockResolvedValue({ results: [] });
    vi.mocked(settleFeedback).mockResolvedValueOnce(2).mockResolvedValueOnce(1);
    const { sync, states, next } = watched();

    const said = next();
    sync.trigger();
    await said;
    expect(readQueue).toHaveBeenCalledTimes(3);
    expect(feedbackCounts).not.toHaveBeenCalled();
    // Each batch is settled as it was sent, and only once the server answered.
    expect(vi.mocked(settleFeedback).mock.calls.map(([sent]) => sent)).toEqual([batch.slice(0, 2), batch.slice(2)]);
    expect(vi.mocked(fetchJson).mock.calls.map(([, init]) => JSON.parse(String(init?.body)).records)).toEqual([
      [{ id: "r0" }, { id: "r1" }],
      [{ id: "r2" }],
    ]);
    expect(states).toEqual([{ pending: 0, waiting: 0, rejected: 0 }]);
  });

  it("does not send a batch again when its answer settled none, and reads the queue after it for the state", async () => {
    vi.mocked(readQueue)
      .mockResolvedValueOnce(queueOf([item], 1))
      .mockResolvedValueOnce(queueOf([item], 1));
    vi.mocked(fetchJson).mockResolvedValue({ results: [] });
    vi.mocked(settleFeedback).mockResolvedValueOnce(0);
    const { sync, states, next } = watched();

    const said = next();
    sync.trigger();
    await said;
    expect(fetchJson).toHaveBeenCalledTimes(1);
    expect(readQueue).toHaveBeenCalledTimes(2);
    expect(states).toEqual([{ pending: 1, waiting: 0, rejected: 0 }]);
  });
});
