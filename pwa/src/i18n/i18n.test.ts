import { describe, expect, it } from "vitest";
import { en } from "./en.js";
import { translator } from "./index.js";
import { zh } from "./zh.js";

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("translations", () => {
  it("gives every English message a Chinese one with the same placeholders", () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(zh[key]), key).toEqual(placeholders(en[key]));
      expect(zh[key].length, key).toBeGreaterThan(0);
    }
  });

  it("fills placeholders and leaves unknown ones visible", () => {
    expect(translator("en")("updateDone", { version: "1.2.0" })).toBe("Updated to model 1.2.0.");
    expect(translator("zh")("pendingFeedback", { n: 3 })).toBe("待发送的反馈：3");
    expect(translator("en")("updateDone")).toContain("{version}");
  });
});
