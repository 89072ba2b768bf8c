/**
 * updateFromChannel against a real HTTP server holding a fixture model: a connection that drops in
 * the middle of a file and a file whose bytes do not match the card fail at different stages, so the
 * app can tell "try again later" from "this model is bad". Both fail before anything is stored. The
 * server also serves a built-in default (under /embedded/), and counts what is asked of it; saving is
 * recorded instead of going to IndexedDB.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ModelCard } from "@pifu/core";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { writeFixtureModel } from "../../testing/fixture-model.js";
import { DownloadStalledError } from "../net.js";
import type { Settings } from "../settings.js";
import { channelMove, updateFromChannel } from "./active.js";

/** What updateFromChannel saved: the version (undefined for the built-in default) and the settings. */
const saved = vi.hoisted(() => [] as { version: string | undefined; settings: Settings }[]);
vi.mock("./store.js", async (importOriginal) => ({
  ...(await importOriginal<typeof import("./store.js")>()),
  storeAsActive: async (folder: { card: ModelCard }, settings: Settings) => {
    saved.push({ version: folder.card.version, settings });
  },
  useEmbeddedAsActive: async (settings: Settings) => {
    saved.push({ version: undefined, settings });
  },
}));

let dir: string;
let embeddedDir: string;
let server: Server;
let base: string;
/** What the server does with the shard: send it whole, cut the connection halfway, stop sending halfway, or flip a byte. */
let shardMode: "whole" | "drop" | "stall" | "flip" = "whole";
/** Whether the channel's card is answered, or the request is left hanging. */
let channelHangs = false;
/** Every path asked of the built-in default's folder. */
let embeddedRequests: string[] = [];
/** Runs when the server is asked for the channel's card, or for the shard. */
let onChannelRequest = () => {};
let onShardRequest = () => {};

beforeAll(async () => {
  await tf.setBackend("cpu");
  dir = await mkdtemp(join(tmpdir(), "pifu-update-"));
  embeddedDir = await mkdtemp(join(tmpdir(), "pifu-update-embedded-"));
  const card: ModelCard = await writeFixtureModel(dir, { version: "2.0.0", seed: 4 });
  await writeFixtureModel(embeddedDir, { version: "3.0.0", seed: 5 });
  server = createServer((request, response) => {
    const url = request.url ?? "";
    if (url.startsWith("/embedded/")) {
      embeddedRequests.push(url);
      readFile(join(embeddedDir, decodeURIComponent(url.slice("/embedded/".length)))).then(
        (bytes) => response.end(bytes),
        () => response.writeHead(404).end(),
      );
      return;
    }
    if (url === "/v1/channels/stable") {
      onChannelRequest();
      if (channelHangs) return;
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify(card));
      return;
    }
    const name = decodeURIComponent(url.replace("/v1/models/2.0.0/files/", ""));
    if (name.endsWith(".bin")) onShardRequest();
    readFile(join(dir, name)).then((bytes) => {
      if (!name.endsWith(".bin") || shardMode === "whole") return response.end(bytes);
      if (shardMode === "flip") {
        bytes[0] = (bytes[0] as number) ^ 0xff;
        return response.end(bytes);
      }
      response.writeHead(200, { "content-length": bytes.length });
      response.write(bytes.subarray(0, bytes.length >> 1), () => {
        if (shardMode === "drop") response.destroy();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

beforeEach(() => {
  saved.length = 0;
  embeddedRequests = [];
  onChannelRequest = () => {};
  onShardRequest = () => {};
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
  await rm(embeddedDir, { recursive: true, force: true });
});

const settings = () => ({ locale: "en" as const, channel: "stable" as const });

describe("updateFromChannel", () => {
  it("reports a connection dropped mid-file as a failed download", async () => {
    shardMode = "drop";
    const result = await updateFromChannel(base, "1.0.0", settings);
    expect(result).toMatchObject({ kind: "failed", stage: "download", version: "2.0.0" });
  });

  it("reports a file that does not match its card as a failed check", async () => {
    shardMode = "flip";
    const result = await updateFromChannel(base, "1.0.0", settings);
    expect(result).toMatchObject({ kind: "failed", stage: "check", version: "2.0.0" });
    expect(result.kind === "failed" && (result.error as Error).message).toMatch(/group1-shard1of1\.bin/);
  });

  it("asks for nothing more when the channel's version is not newer", async () => {
    shardMode = "whole";
    await expect(updateFromChannel(base, "2.0.0", settings)).resolves.toEqual({
      kind: "none",
      channelVersion: "2.0.0",
    });
  });

  it("gives up on a channel that never answers, so the check for an update ends", async () => {
    channelHangs = true;
    try {
      const started = Date.now();
      const failure = await updateFromChannel(base, "1.0.0", settings, { cardTimeoutMs: 200 }).catch((e) => e);
      expect((failure as Error).name).toBe("TimeoutError");
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      channelHangs = false;
    }
  });

  it("reports a download that stops sending bytes as a failed download", async () => {
    shardMode = "stall";
    const result = await updateFromChannel(base, "1.0.0", settings, { idleMs: 200 });
    expect(result).toMatchObject({ kind: "failed", stage: "download", version: "2.0.0" });
    expect(result.kind === "failed" && result.error).toBeInstanceOf(DownloadStalledError);
  });
});

describe("updateFromChannel and the built-in default", () => {
  const options = () => ({ embeddedDir: `${base}/embedded/` });

  it("reads only the built-in card to decide, when the channel serves an older version", async () => {
    shardMode = "whole";
    // The built-in 3.0.0 is in use; the channel serves 2.0.0.
    await expect(updateFromChannel(base, "3.0.0", settings, options())).resolves.toEqual({
      kind: "none",
      channelVersion: "2.0.0",
    });
    expect(embeddedRequests).toEqual(["/embedded/model-card.json"]);
    expect(saved).toEqual([]);
  });

  it("fetches the built-in files when it moves to the built-in default", async () => {
    shardMode = "whole";
    // A stored 4.0.0 is in use; the channel serves 2.0.0, older than the built-in 3.0.0.
    const result = await updateFromChannel(base, "4.0.0", settings, options());
    expect(result).toMatchObject({ kind: "updated", switched: true, model: { source: "embedded" } });
    if (result.kind === "updated") result.model.classifier.dispose();
    expect(embeddedRequests[0]).toBe("/embedded/model-card.json");
    expect(embeddedRequests.length).toBeGreaterThan(1);
    expect(saved).toEqual([{ version: undefined, settings: settings() }]);
  });
});

describe("updateFromChannel while the user switches channel", () => {
  let channel: Settings["channel"] = "stable";
  const latest = (): Settings => ({ locale: "en", channel });
  beforeEach(() => {
    shardMode = "whole";
    channel = "stable";
  });

  it("saves the stable model with settings naming stable", async () => {
    const result = await updateFromChannel(base, "1.0.0", latest);
    expect(result).toMatchObject({ kind: "updated", switched: false });
    if (result.kind === "updated") result.model.classifier.dispose();
    expect(saved).toEqual([{ version: "2.0.0", settings: { locale: "en", channel: "stable" } }]);
  });

  it("saves nothing when the channel changes while the card is fetched", async () => {
    onChannelRequest = () => {
      channel = "beta";
    };
    await expect(updateFromChannel(base, "1.0.0", latest)).resolves.toEqual({
      kind: "channelChanged",
      channel: "stable",
    });
    expect(saved).toEqual([]);
  });

  it("saves nothing when the channel changes while the files download", async () => {
    onShardRequest = () => {
      channel = "beta";
    };
    await expect(updateFromChannel(base, "1.0.0", latest)).resolves.toEqual({
      kind: "channelChanged",
      channel: "stable",
    });
    expect(saved).toEqual([]);
  });
});

describe("channelMove", () => {
  const builtIn = "1.0.0";
  it("follows the channel to a newer version, and stays on the one it serves", () => {
    expect(channelMove("1.2.0", "1.1.0", builtIn)).toBe("download");
    expect(channelMove("1.2.0", "1.2.0", builtIn)).toBe("none");
  });

  it("follows it back to an older version (the other channel's model, or a rollback)", () => {
    expect(channelMove("1.1.0", "1.3.0-beta.1", builtIn)).toBe("download");
    expect(channelMove("1.0.0", "1.3.0", builtIn)).toBe("embedded");
    // Older than the built-in default: a start could not keep it, so the default is the closest.
    expect(channelMove("0.9.0", "1.3.0", builtIn)).toBe("embedded");
    expect(channelMove("0.9.0", "1.0.0", builtIn)).toBe("none");
  });
});
