import { afterEach, describe, expect, it, vi } from "vitest";
import { fetchJson } from "../net.js";
import { dueFeedback, feedbackCounts, settleFeedback } from "./queue.js";
import { FeedbackSync, retryDelay, type SyncState } from "./sync.js";

vi.mock("./queue.js", () => ({
  dueFeedback: vi.fn(),
  feedbackCounts: vi.fn(),
  nextFeedbackRetry: vi.fn(async () => undefined),
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

  it("tells why a send failed and when it tries again, and forgets it once a send succeeds", async () => {
    const item = { record: { id: "a" }, status: "pending", attempts: 0 };
    vi.mocked(feedbackCounts).mockResolvedValue({ pending: 1, waiting: 0, rejected: 0 });
    vi.mocked(dueFeedback).mockResolvedValue([item] as never);
    const down = new Error("server down");
    vi.mocked(fetchJson).mockRejectedValueOnce(down);
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

    const before = Date.now();
    let said = next();
    sync.trigger();
    await said;
    expect(states[0]?.lastError).toBe(down);
    // The first retry comes after half to all of a second.
    expect(states[0]?.retryAt).toBeGreaterThanOrEqual(before + 500);
    expect(states[0]?.retryAt).toBeLessThanOrEqual(Date.now() + 1000);

    vi.mocked(fetchJson).mockResolvedValueOnce({ results: [{ index: 0, status: "accepted" }] });
    vi.mocked(settleFeedback).mockResolvedValueOnce(1);
    vi.mocked(dueFeedback)
      .mockResolvedValueOnce([item] as never)
      .mockResolvedValue([]);
    vi.mocked(feedbackCounts).mockResolvedValue({ pending: 0, waiting: 0, rejected: 0 });
    said = next();
    sync.trigger();
    await said;
    expect(states[1]).toEqual({ pending: 0, waiting: 0, rejected: 0 });
  });
});
