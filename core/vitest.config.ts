import { defineProject } from "vitest/config";
import { testExclude } from "../vitest.shared.js";

export default defineProject({ test: { name: "core", include: ["src/**/*.test.ts"], exclude: testExclude } });
