import { defineConfig } from "vitest/config";

// Each workspace (and test/ for cross-part tests) has its own vitest.config.ts.
export default defineConfig({
  test: { projects: ["core", "training", "api", "pwa", "test", "experiments"] },
});
