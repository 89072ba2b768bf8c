import { describe, expect, it } from "vitest";
import { BackendError, initBackend, parseBackendName } from "./index.js";

describe("initBackend", () => {
  it("auto falls through the optional native bindings to wasm and says why", async () => {
    const lines: string[] = [];
    const choice = await initBackend("auto", (l) => lines.push(l));
    if (choice.active === "wasm") {
      expect(choice.skipped).toHaveLength(2);
      expect(choice.skipped[0]).toMatch(/tfjs-node-gpu/);
      expect(lines[0]).toMatch(/^backend: wasm/);
    } else {
      expect(["node-gpu", "node"]).toContain(choice.active);
    }
  });

  it("rejects unknown names with the valid list and a missing native backend with its package", async () => {
    expect(() => parseBackendName("metal")).toThrow(/auto, node-gpu, node, wasm, cpu/);
    await expect(initBackend("node")).rejects.toBeInstanceOf(BackendError);
  });
});
