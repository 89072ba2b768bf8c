import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../testing/cli.js";

let dir: string;

/** A run folder whose summary.json holds `text`. */
async function run(name: string, text: string): Promise<string> {
  await mkdir(join(dir, name), { recursive: true });
  await writeFile(join(dir, name, "summary.json"), text);
  return join(dir, name);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pifu-seed-spread-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("npm run seed-spread on a bad summary.json", { timeout: 60_000 }, () => {
  it("names the file that is not JSON, or not a student summary, in one line", async () => {
    const broken = await run("broken", "{ seed: 3");
    const notJson = await runCli("seed-spread", ["--group", "a", broken]);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr.trim()).toMatch(
      new RegExp(`^seed-spread: ${join(broken, "summary.json")} is not JSON: [^\\n]+$`),
    );
    const empty = await run("empty", "{}");
    const notSummary = await runCli("seed-spread", ["--group", "a", empty]);
    expect(notSummary.code).toBe(1);
    expect(notSummary.stderr.trim()).toMatch(
      new RegExp(`^seed-spread: ${join(empty, "summary.json")} is not an \`npm run student\` summary: [^\\n]*config`),
    );
  });
});
