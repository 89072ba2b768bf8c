import { describe, expect, it } from "vitest";
import { keepsStored } from "./store.js";

const kept = (stored: string[], inUse: string, downloaded: boolean) =>
  stored.filter((version) => keepsStored(version, inUse, downloaded));

describe("keepsStored", () => {
  it("keeps a downloaded model in use and newer versions, never older ones", () => {
    expect(kept(["1.0.0", "1.1.0", "1.2.0", "1.10.0"], "1.2.0", true)).toEqual(["1.2.0", "1.10.0"]);
  });

  it("drops a stored copy of the embedded default in use, keeping newer versions", () => {
    expect(kept(["0.9.0", "1.0.0", "1.1.0"], "1.0.0", false)).toEqual(["1.1.0"]);
  });
});
