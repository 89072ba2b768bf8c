import { defineProject } from "vitest/config";
import { testExclude } from "../vitest.shared.js";

export default defineProject({
  test: { name: "experiments", include: ["**/*.test.ts"], exclude: testExclude },
});
