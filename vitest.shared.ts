/**
 * Shared by every workspace's vitest config. The default suite uses generated fixtures only;
 * `npm run test:extended` adds *.extended.test.ts files, which use ../shared and say so when they skip.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const extended = process.env.PIFU_EXTENDED === "1";
export const testExclude = ["**/node_modules/**", "**/dist/**", ...(extended ? [] : ["**/*.extended.test.ts"])];

/** ../shared next to the checkout (PIFU_SHARED overrides). */
export const sharedDir = resolve(
  process.env.PIFU_SHARED ?? resolve(dirname(fileURLToPath(import.meta.url)), "../shared"),
);
export const hasShared = existsSync(resolve(sharedDir, "data/skin8"));
