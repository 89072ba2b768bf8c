import { describe, expect, it } from "vitest";
import { translator } from "./index.js";
import { said } from "./message.js";

describe("said", () => {
  it("says a kept message, and the messages in its values, in the language asked for when shown", () => {
    const message = said("updateSwitched", { version: "1.2.0", channel: said("channel_beta") });
    expect(message(translator("en"))).toBe("Switched to model 1.2.0, the one the Beta channel serves.");
    expect(message(translator("zh"))).toBe("已切换到测试版渠道提供的模型 1.2.0。");
  });
});
