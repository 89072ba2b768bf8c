import { describe, expect, it } from "vitest";
import { translator } from "./i18n/index.js";
import { noUpdateText } from "./update-status.js";

describe("noUpdateText", () => {
  it("names the version in use, the channel's when they are the same", () => {
    expect(noUpdateText(translator("en"), "1.2.0", "1.2.0", "Stable")).toBe(
      "You have model 1.2.0, the one the Stable channel serves.",
    );
  });

  it("says the built-in model in use is newer than the older one the channel serves", () => {
    expect(noUpdateText(translator("en"), "1.3.0", "1.0.0", "Stable")).toBe(
      "You have model 1.3.0, newer than the 1.0.0 the Stable channel serves.",
    );
    expect(noUpdateText(translator("zh"), "1.3.0", "1.0.0", "稳定版")).toBe(
      "当前使用的模型 1.3.0 比稳定版渠道提供的 1.0.0 更新。",
    );
  });

  it("says the channel has no model yet, not that the model is the latest, when the channel serves none", () => {
    expect(noUpdateText(translator("en"), "1.3.0", undefined, "Beta")).toBe(
      "The Beta channel has no model yet; keeping model 1.3.0.",
    );
    expect(noUpdateText(translator("zh"), "1.3.0", undefined, "测试版")).toBe(
      "测试版渠道还没有模型，继续使用模型 1.3.0。",
    );
  });
});
