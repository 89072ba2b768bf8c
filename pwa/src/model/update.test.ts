/**
 * updateFromChannel against a real HTTP server holding a fixture model: a connection that drops in
 * the middle of a file and a file whose bytes do not match the card fail at different stages, so the
 * app can tell "try again later" from "this model is bad". Both fail before anything is stored.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ModelCard } from "@pifu/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFixtureModel } from "../../testing/fixture-model.js";
import { DownloadStalledError } from "../net.js";
import { channelMove, updateFromChannel } from "./active.js";

let dir: string;
let server: Server;
let base: string;
/** What the server does with the shard: send it whole, cut the connection halfway, stop sending halfway, or flip a byte. */
let shardMode: "whole" | "drop" | "stall" | "flip" = "whole";
/** Whether the channel's card is answered, or the request is left hanging. */
let channelHangs = false;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pifu-update-"));
  const card: ModelCard = await writeFixtureModel(dir, { version: "2.0.0", seed: 4 });
  server = createServer((request, response) => {
    const url = request.url ?? "";
    if (url === "/v1/channels/stable") {
      if (channelHangs) return;
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify(card));
      return;
    }
    const name = decodeURIComponent(url.replace("/v1/models/2.0.0/files/", ""));
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

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
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

describe("channelMove", () => {
  const builtIn = () => "1.0.0";
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
