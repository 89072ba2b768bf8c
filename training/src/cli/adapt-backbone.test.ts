import { describe, expect, it } from "vitest";
import { runCli } from "../testing/cli.js";

// Flags are checked as they are parsed, before the backbone or any photo is read.
const args = ["--backbone", "/nonexistent/backbone", "--data", "/nonexistent/photos", "--out", "/nonexistent/out"];

describe("npm run adapt-backbone", { timeout: 60_000 }, () => {
  it.each([
    ["--batch", "0"],
    ["--max-images", "0"],
    ["--max-images", "1"],
  ])("refuses %s %s in one line naming the flag", async (flag, value) => {
    const { code, stderr } = await runCli("adapt-backbone", [...args, flag, value]);
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(
      `adapt-backbone: ${flag} must be at least 2 (a batch norm's statistics need 2 photos), got ${value}`,
    );
  });
});
