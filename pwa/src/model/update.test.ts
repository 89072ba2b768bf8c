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
import { updateFromChannel } from "./active.js";

let dir: string;
let server: Server;
let base: string;
/** What the server does with the shard: send it whole, cut the connection halfway, or flip a byte. */
let shardMode: "whole" | "drop" | "flip" = "whole";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pifu-update-"));
  const card: ModelCard = await writeFixtureModel(dir, { version: "2.0.0", seed: 4 });
  server = createServer((request, response) => {
    const url = request.url ?? "";
    if (url === "/v1/channels/stable") {
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
      response.write(bytes.subarray(0, bytes.length >> 1), () => response.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
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
    expect(result.kind === "failed" && result.error).toMatch(/group1-shard1of1\.bin/);
  });

  it("asks for nothing more when the channel's version is not newer", async () => {
    shardMode = "whole";
    await expect(updateFromChannel(base, "2.0.0", settings)).resolves.toEqual({
      kind: "none",
      channelVersion: "2.0.0",
    });
  });
});
