/**
 * Cross-part round trip against the API running under local workerd (startLocalApi): the training
 * export writes a real tiny float16 model folder, the maintainer CLI publishes and promotes it, the
 * model is loaded back through the API with stock tfjs, and feedback exported as CSV reads back with
 * core feedbackFromCsvRow.
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { FEEDBACK_CSV_COLUMNS, type FeedbackRecord, feedbackFromCsvRow, type ModelCard } from "@pifu/core";
import { exampleFeedback } from "@pifu/core/testing";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as tfl from "@tensorflow/tfjs-layers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CliError } from "../api/src/cli/api-client.js";
import { promote, publishModelDir, rollback } from "../api/src/cli/publish-lib.js";
import { type LocalApi, startLocalApi } from "../api/src/dev/local-api.js";
import { copyModelFolder } from "../pwa/testing/fixture-model.js";
import { exportModelFolder } from "../training/src/export/card.js";
import { readerIOHandler } from "../training/src/export/load.js";
import { testCardFields, tinyClassifier } from "../training/src/export/test-model.js";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "..");
const INPUT = 16;

let api: LocalApi;
let work: string;
const folders: Record<string, { dir: string; card: ModelCard; model: tfl.LayersModel }> = {};

async function exportVersion(version: string, seed: number) {
  const model = tinyClassifier(INPUT, 8, seed);
  const dir = join(work, version);
  const fields = { ...(await testCardFields(INPUT)), version };
  const { card } = await exportModelFolder(model, dir, fields, "float16");
  folders[version] = { dir, card, model };
}

function cli(script: string, args: string[]) {
  return run(process.execPath, ["--import", "tsx", join(root, "api/src/cli", script), ...args], { cwd: root });
}

beforeAll(async () => {
  await tf.setBackend("cpu");
  work = await mkdtemp(join(tmpdir(), "pifu-roundtrip-"));
  [api] = await Promise.all([startLocalApi(), exportVersion("1.0.0", 1), exportVersion("1.1.0", 2)]);
}, 180_000);

afterAll(async () => {
  await api?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("publish CLI ↔ API", () => {
  it("publishes a training export, serves it byte for byte, and the model loads back through the API", async () => {
    const v1 = folders["1.0.0"]!;
    const { stdout } = await cli("publish.ts", [
      "--api",
      api.url,
      "--token",
      api.adminToken,
      "--model",
      v1.dir,
      "--channel",
      "stable",
    ]);
    expect(stdout).toContain("verified every file by sha256");
    expect(stdout).toContain("stable now serves 1.0.0");

    const listing = (await (await fetch(`${api.url}/v1/models`)).json()) as {
      models: { version: string; channels: string[] }[];
    };
    expect(listing.models).toEqual([expect.objectContaining({ version: "1.0.0", channels: ["stable"] })]);
    expect(await (await fetch(`${api.url}/v1/channels/stable`)).json()).toEqual(v1.card);

    const fromApi = await tfl.loadLayersModel(
      readerIOHandler(async (name) => {
        const res = await fetch(`${api.url}/v1/models/1.0.0/files/${name}`);
        return res.ok ? new Uint8Array(await res.arrayBuffer()) : undefined;
      }),
    );
    const input = tf.randomUniform([2, INPUT, INPUT, 3], 0, 1, "float32", 7);
    const served = fromApi.predict(input) as tf.Tensor;
    const local = v1.model.predict(input) as tf.Tensor;
    expect(served.shape).toEqual([2, 8]);
    // float16 weights: close to the float32 original, not identical.
    const diff = tf.max(tf.abs(tf.sub(served, local))).dataSync()[0]!;
    expect(diff).toBeLessThan(1e-2);
    tf.dispose([input, served, local]);
  }, 120_000);

  it("promotes with the CLI and rolls back", async () => {
    await publishModelDir({ api: api.url, token: api.adminToken, dir: folders["1.1.0"]!.dir });
    const { stdout } = await cli("promote.ts", [
      "--api",
      api.url,
      "--token",
      api.adminToken,
      "--version",
      "1.1.0",
      "--channel",
      "stable",
    ]);
    expect(stdout.trim()).toBe("stable now serves 1.1.0 (was 1.0.0)");
    expect(((await (await fetch(`${api.url}/v1/channels/stable`)).json()) as ModelCard).version).toBe("1.1.0");
    expect(await rollback({ api: api.url, token: api.adminToken, channel: "stable" })).toEqual({
      channel: "stable",
      version: "1.0.0",
      previousVersion: "1.1.0",
    });
  }, 120_000);

  it("fails with clear messages", async () => {
    const v1 = folders["1.0.0"]!;
    const attempt = (options: Partial<Parameters<typeof publishModelDir>[0]>) =>
      publishModelDir({ api: api.url, token: api.adminToken, dir: v1.dir, ...options });
    const changed = join(work, "changed");
    await cp(v1.dir, changed, { recursive: true });
    await writeFile(join(changed, "model-card.json"), JSON.stringify({ ...v1.card, description: "another card" }));
    await expect(attempt({ dir: changed })).rejects.toThrow(/1\.0\.0 is already published with a different card/);
    await expect(attempt({ token: "wrong" })).rejects.toThrow(/refused the admin token/);
    await expect(attempt({ api: "http://127.0.0.1:9" })).rejects.toThrow(
      /cannot reach the API at http:\/\/127\.0\.0\.1:9/,
    );
    await expect(attempt({ api: "not a url" })).rejects.toThrow(CliError);
    await expect(attempt({ dir: join(work, "missing") })).rejects.toThrow(/cannot read the model folder/);

    const broken = join(work, "broken");
    await cp(v1.dir, broken, { recursive: true });
    await writeFile(join(broken, "group1-shard1of1.bin"), "not the weights");
    await expect(attempt({ dir: broken })).rejects.toThrow(
      /do not match model-card\.json: group1-shard1of1\.bin is 15 bytes/,
    );
    await expect(promote({ api: api.url, token: api.adminToken, version: "7.7.7", channel: "beta" })).rejects.toThrow(
      /not published/,
    );

    const failed = await cli("publish.ts", ["--api", api.url, "--token", "wrong", "--model", v1.dir]).catch((e) => e);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^publish-model: .*refused the admin token/m);
  }, 120_000);
});

describe("publish CLI run again after it stopped part way", () => {
  /** A copy of 1.0.0's folder under another version (the files are the same). */
  async function copyAs(version: string) {
    const dir = join(work, version);
    const card = { ...folders["1.0.0"]!.card, version };
    await copyModelFolder(folders["1.0.0"]!.dir, dir, () => JSON.stringify(card));
    return { dir, card };
  }
  const admin = (init: RequestInit) => ({
    ...init,
    headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${api.adminToken}` },
  });

  it("sends only the files the API does not hold yet, and finishes a version published before it stopped", async () => {
    const { dir, card } = await copyAs("1.0.1");
    // An earlier run sent the card and model.json, then the connection dropped.
    const put = (path: string, type: string, body: BodyInit) =>
      fetch(
        `${api.url}/v1/admin/models/1.0.1/${path}`,
        admin({ method: "PUT", headers: { "content-type": type }, body }),
      );
    expect((await put("card", "application/json", JSON.stringify(card))).status).toBe(201);
    expect(
      (await put("files/model.json", "application/octet-stream", await readFile(join(dir, "model.json")))).status,
    ).toBe(200);

    const log: string[] = [];
    await publishModelDir({ api: api.url, token: api.adminToken, dir, log: (m) => log.push(m) });
    expect(log).toContain("model.json was uploaded by an earlier run");
    expect(log.filter((m) => m.startsWith("uploaded "))).toEqual([
      expect.stringMatching(/^uploaded group1-shard1of1\.bin/),
    ]);

    // Published, then stopped before the promote (or its verification failed): a rerun with the same
    // folder verifies the published files and promotes them.
    // It downloads the published card once: the check of the refused upload stands for the verification's.
    log.length = 0;
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    try {
      await publishModelDir({ api: api.url, token: api.adminToken, dir, channel: "beta", log: (m) => log.push(m) });
      expect(fetchSpy.mock.calls.filter(([url]) => String(url).endsWith("/v1/models/1.0.1/card"))).toHaveLength(1);
    } finally {
      fetchSpy.mockRestore();
    }
    expect(log).toContain("1.0.1 is already published with this card; verifying it");
    expect(log).toContain("beta now serves 1.0.1 (was none)");
    expect(((await (await fetch(`${api.url}/v1/channels/beta`)).json()) as ModelCard).version).toBe("1.0.1");

    // Once more: nothing left to do, and the channel's history gains no second promote of the same version.
    log.length = 0;
    await publishModelDir({ api: api.url, token: api.adminToken, dir, channel: "beta", log: (m) => log.push(m) });
    expect(log).toContain("beta already serves 1.0.1");
    const history = (await (await fetch(`${api.url}/v1/admin/channels/beta/history`, admin({}))).json()) as {
      history: { version: string }[];
    };
    expect(history.history.map((h) => h.version)).toEqual(["1.0.1"]);
  }, 60_000);
});

describe("feedback ↔ export", () => {
  it("exports CSV that the training engine's reader turns back into the same records", async () => {
    // Feedback must name a published version: 1.0.0 and 1.1.0 were published by the tests above.
    const records: FeedbackRecord[] = [
      exampleFeedback({ day: "2026-11-20", modelVersion: "1.0.0" }),
      exampleFeedback({ day: "2026-11-21", modelVersion: "1.0.0", bodySite: undefined, confirmedBy: "patient" }),
      exampleFeedback({ day: "2026-11-22", modelVersion: "1.1.0", fitzpatrick: undefined, confirmedLabel: "unknown" }),
    ];
    const post = await fetch(`${api.url}/v1/feedback/batch`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ records }),
    });
    expect(((await post.json()) as { results: { status: string }[] }).results.map((r) => r.status)).toEqual([
      "created",
      "created",
      "created",
    ]);
    const again = await fetch(`${api.url}/v1/feedback`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(records[0]),
    });
    expect(again.status).toBe(200);

    const auth = { authorization: `Bearer ${api.adminToken}` };
    const csv = await (await fetch(`${api.url}/v1/feedback/export?format=csv`, { headers: auth })).text();
    const [header, ...rows] = csv.trim().split("\n");
    expect(header).toBe(FEEDBACK_CSV_COLUMNS.join(","));
    expect(rows.map(feedbackFromCsvRow)).toEqual(records);

    const filtered = await fetch(`${api.url}/v1/feedback/export?format=csv&modelVersion=1.0.0&from=2026-11-21`, {
      headers: auth,
    });
    expect((await filtered.text()).trim().split("\n").slice(1).map(feedbackFromCsvRow)).toEqual([records[1]]);
  }, 60_000);
});
