import { describe, expect, it } from "vitest";
import { translator } from "./index.js";
import { formatPercent } from "./percent.js";

describe("formatPercent", () => {
  const en = translator("en");

  it("rounds to whole percents between 1% and 99%", () => {
    expect(formatPercent(0.42, en)).toBe("42%");
    expect(formatPercent(0.005, en)).toBe("1%");
    expect(formatPercent(0.9949, en)).toBe("99%");
  });

  it("never shows 100% or 0%", () => {
    for (const p of [0.995, 0.9999, 1]) expect(formatPercent(p, en)).toBe("above 99%");
    for (const p of [0, 0.0001, 0.0049]) expect(formatPercent(p, en)).toBe("below 1%");
  });

  it("says it in Chinese", () => {
    const zh = translator("zh");
    expect(formatPercent(1, zh)).toBe("＞99%");
    expect(formatPercent(0, zh)).toBe("＜1%");
    expect(formatPercent(0.5, zh)).toBe("50%");
  });
});
