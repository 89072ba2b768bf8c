import { defineProject } from "vitest/config";
import { testExclude } from "../vitest.shared.js";

export default defineProject({
  test: {
    name: "test",
    include: ["**/*.test.ts"],
    exclude: testExclude,
    // Cross-part tests start workerd, build the PWA and drive Chromium: seconds per step, not milliseconds.
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
