import { describe, expect, it, vi } from "vitest";
import { keepStoredData, storageState } from "./storage.js";

describe("keepStoredData", () => {
  it("asks for persistent storage once, and only when storage is not persistent yet", async () => {
    const storage = { persisted: vi.fn(async () => false), persist: vi.fn(async () => true) };
    expect(await keepStoredData(storage)).toBe(true);
    expect(await keepStoredData(storage)).toBe(true);
    expect(storage.persist).toHaveBeenCalledTimes(1);
    const already = { persisted: vi.fn(async () => true), persist: vi.fn(async () => true) };
    expect(await keepStoredData(already)).toBe(true);
    expect(already.persist).not.toHaveBeenCalled();
  });

  it("says undefined, never throws, when the browser refuses to answer or has no storage API", async () => {
    const failing = { persisted: async () => false, persist: () => Promise.reject(new Error("not allowed")) };
    await expect(keepStoredData(failing)).resolves.toBeUndefined();
    await expect(keepStoredData({})).resolves.toBeUndefined();
  });
});

describe("storageState", () => {
  it("reports what it can when the usage estimate fails", async () => {
    const storage = {
      persisted: async () => false,
      estimate: () => Promise.reject(new DOMException("estimate failed", "UnknownError")),
    };
    await expect(storageState(storage)).resolves.toEqual({ persisted: false, usage: undefined });
    await expect(storageState({ estimate: async () => ({ usage: 2048 }) })).resolves.toEqual({
      persisted: undefined,
      usage: 2048,
    });
  });
});
