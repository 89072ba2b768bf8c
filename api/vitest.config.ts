import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineProject } from "vitest/config";
import { testExclude } from "../vitest.shared.js";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// The API's tests run inside workerd with the root wrangler.toml's D1 and R2 bindings (Miniflare's
// local emulation, nothing mocked) and the development secrets of the root .dev.vars; migrations are
// applied by test/setup.ts.
export default defineProject(async () => {
  const migrations = await readD1Migrations(here("./migrations"));
  return {
    plugins: [
      cloudflareTest({
        main: here("./src/index.ts"),
        wrangler: { configPath: here("../wrangler.toml") },
        miniflare: {
          compatibilityFlags: ["nodejs_compat"],
          bindings: { TEST_MIGRATIONS: migrations, FEEDBACK_RATE_LIMIT: "1000000" },
        },
      }),
    ],
    test: {
      name: "api",
      include: ["**/*.test.ts"],
      exclude: testExclude,
      setupFiles: [here("./test/setup.ts")],
    },
  };
});
