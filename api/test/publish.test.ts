import { env } from "cloudflare:workers";
import { sha256Hex } from "@pifu/core";
import { describe, expect, it } from "vitest";
import { fileKey, legacyFileKey } from "../src/storage/files.js";
import { getModel, markComplete } from "../src/storage/models.js";
import {
  adminHeaders,
  call,
  completeModel,
  errorOf,
  postJson,
  publish,
  putJson,
  tinyModelFolder,
  uploadFile,
} from "./fixtures.js";

const testEnv = env as unknown as { DB: D1Database; MODELS: R2Bucket };

async function listedVersions(): Promise<{ version: string; channels: string[] }[]> {
  const res = await call("/v1/models");
  expect(res.status).toBe(200);
  return ((await res.json()) as { models: { version: string; channels: string[] }[] }).models;
}

describe("publish → list → download → promote → roll back", () => {
  it("walks the whole model lifecycle", async () => {
    const v1 = await tinyModelFolder("1.0.0", 1);
    const v2 = await tinyModelFolder("1.1.0", 2);
    await publish(v1, "stable");
    await publish(v2);

    expect(await listedVersions()).toEqual([
      expect.objectContaining({ version: "1.1.0", channels: [] }),
      expect.objectContaining({ version: "1.0.0", channels: ["stable"] }),
    ]);

    const stable = await call("/v1/channels/stable");
    expect(stable.status).toBe(200);
    expect(await stable.json()).toEqual(v1.card);
    expect((await call("/v1/channels/beta")).status).toBe(404);

    const cardRes = await call("/v1/models/1.1.0/card");
    expect(cardRes.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await cardRes.json()).toEqual(v2.card);

    for (const file of v2.card.files) {
      const res = await call(`/v1/models/1.1.0/files/${file.name}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("etag")).toBe(`"${file.sha256}"`);
      expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect(bytes.byteLength).toBe(file.size);
      expect(await sha256Hex(bytes)).toBe(file.sha256);
      const again = await call(`/v1/models/1.1.0/files/${file.name}`, {
        headers: { "if-none-match": `"${file.sha256}"` },
      });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe("");
    }

    const promoted = await postJson("/v1/admin/channels/stable", { version: "1.1.0" }, adminHeaders());
    expect(await promoted.json()).toEqual({ channel: "stable", version: "1.1.0", previousVersion: "1.0.0" });
    expect(((await (await call("/v1/channels/stable")).json()) as { version: string }).version).toBe("1.1.0");
    expect((await listedVersions()).find((m) => m.version === "1.1.0")?.channels).toEqual(["stable"]);

    const rolledBack = await call("/v1/admin/channels/stable/rollback", { method: "POST", headers: adminHeaders() });
    expect(await rolledBack.json()).toEqual({ channel: "stable", version: "1.0.0", previousVersion: "1.1.0" });
    expect(((await (await call("/v1/channels/stable")).json()) as { version: string }).version).toBe("1.0.0");

    // The first promote has no earlier version: nothing more to roll back.
    const none = await call("/v1/admin/channels/stable/rollback", { method: "POST", headers: adminHeaders() });
    expect(none.status).toBe(409);

    const history = await call("/v1/admin/channels/stable/history", { headers: adminHeaders() });
    const body = (await history.json()) as { current: string; history: { action: string; version: string }[] };
    expect(body.current).toBe("1.0.0");
    expect(body.history.map((h) => `${h.action} ${h.version}`)).toEqual([
      "rollback 1.0.0",
      "promote 1.1.0",
      "promote 1.0.0",
    ]);
  });

  it("serves the channel card with a version ETag and 304", async () => {
    await publish(await tinyModelFolder("3.0.0"), "beta");
    const res = await call("/v1/channels/beta");
    const etag = res.headers.get("etag");
    expect(etag).toBe('"card-3.0.0"');
    const again = await call("/v1/channels/beta", { headers: { "if-none-match": etag ?? "" } });
    expect(again.status).toBe(304);
  });

  it("refuses to republish an existing version", async () => {
    const folder = await tinyModelFolder("2.0.0");
    await publish(folder);
    const res = await putJson("/v1/admin/models/2.0.0/card", folder.card, adminHeaders());
    expect(res.status).toBe(409);
    expect((await errorOf(res)).code).toBe("conflict");
    const upload = await uploadFile("2.0.0", "model.json", folder.files["model.json"]!);
    expect(upload.status).toBe(409);
  });
});

describe("an interrupted publish", () => {
  it("is never listed or served, and can be restarted", async () => {
    const folder = await tinyModelFolder("4.0.0");
    expect((await putJson("/v1/admin/models/4.0.0/card", folder.card, adminHeaders())).status).toBe(201);
    expect((await uploadFile("4.0.0", "model.json", folder.files["model.json"]!)).status).toBe(200);

    expect((await listedVersions()).map((m) => m.version)).not.toContain("4.0.0");
    expect((await call("/v1/models/4.0.0/card")).status).toBe(404);
    expect((await call("/v1/models/4.0.0/files/model.json")).status).toBe(404);
    expect((await postJson("/v1/admin/channels/beta", { version: "4.0.0" }, adminHeaders())).status).toBe(404);

    const early = await completeModel("4.0.0");
    expect(early.status).toBe(409);
    expect((await errorOf(early)).message).toContain("group1-shard1of1.bin");

    await publish(folder, "beta");
    expect((await call("/v1/models/4.0.0/files/model.json")).status).toBe(200);
  });
});

describe("a card sent again while publishing", () => {
  it("keeps the uploads of files it lists unchanged and answers which files are still missing", async () => {
    const folder = await tinyModelFolder("4.1.0");
    const shard = "group1-shard1of1.bin";
    const first = await putJson("/v1/admin/models/4.1.0/card", folder.card, adminHeaders());
    expect(await first.json()).toMatchObject({ status: "pending", missing: [shard, "model.json"] });
    expect((await uploadFile("4.1.0", "model.json", folder.files["model.json"]!)).status).toBe(200);

    // A rerun after the connection dropped sends the same card: model.json need not be sent again.
    const again = await putJson("/v1/admin/models/4.1.0/card", folder.card, adminHeaders());
    expect(again.status).toBe(201);
    expect(await again.json()).toEqual({
      version: "4.1.0",
      status: "pending",
      files: folder.card.files.map((f) => f.name),
      missing: [shard],
    });
    expect((await uploadFile("4.1.0", shard, folder.files[shard]!)).status).toBe(200);
    expect((await completeModel("4.1.0")).status).toBe(200);
  });

  it("forgets the upload of a file whose sha256 or size changed", async () => {
    const old = await tinyModelFolder("4.2.0", 1);
    const fresh = await tinyModelFolder("4.2.0", 2);
    await putJson("/v1/admin/models/4.2.0/card", old.card, adminHeaders());
    for (const [name, bytes] of Object.entries(old.files)) await uploadFile("4.2.0", name, bytes);
    const replaced = await putJson("/v1/admin/models/4.2.0/card", fresh.card, adminHeaders());
    // Only the shard's bytes differ between the two folders.
    expect(((await replaced.json()) as { missing: string[] }).missing).toEqual(["group1-shard1of1.bin"]);
    expect((await completeModel("4.2.0")).status).toBe(409);
  });
});

describe("upload checks", () => {
  it("rejects bytes that differ from the card in size or sha256", async () => {
    const folder = await tinyModelFolder("5.0.0");
    await putJson("/v1/admin/models/5.0.0/card", folder.card, adminHeaders());
    const shard = folder.files["group1-shard1of1.bin"]!;
    const short = await uploadFile("5.0.0", "group1-shard1of1.bin", shard.slice(1));
    expect(short.status).toBe(422);
    const flipped = shard.slice();
    flipped[0] = (flipped[0] ?? 0) ^ 0xff;
    const wrong = await uploadFile("5.0.0", "group1-shard1of1.bin", flipped);
    expect(wrong.status).toBe(422);
    expect((await errorOf(wrong)).code).toBe("file_mismatch");
    expect((await uploadFile("5.0.0", "other.bin", shard)).status).toBe(404);
    expect((await testEnv.MODELS.list({ prefix: "models/5.0.0/" })).objects).toEqual([]);
  });

  it("answers a body longer than the card's size 413, with or without Content-Length, and stores nothing", async () => {
    const folder = await tinyModelFolder("5.1.0");
    await putJson("/v1/admin/models/5.1.0/card", folder.card, adminHeaders());
    const shard = folder.files["group1-shard1of1.bin"]!;
    const longer = new Uint8Array(shard.byteLength + 1);
    longer.set(shard);
    const declared = await call("/v1/admin/models/5.1.0/files/group1-shard1of1.bin", {
      method: "PUT",
      headers: adminHeaders({
        "content-type": "application/octet-stream",
        "content-length": String(longer.byteLength),
      }),
      body: longer,
    });
    expect(declared.status).toBe(413);
    expect((await errorOf(declared)).code).toBe("payload_too_large");
    const streamed = await call("/v1/admin/models/5.1.0/files/group1-shard1of1.bin", {
      method: "PUT",
      headers: adminHeaders({ "content-type": "application/octet-stream" }),
      body: new Blob([longer]).stream(),
    });
    expect(streamed.status).toBe(413);
    expect((await testEnv.MODELS.list({ prefix: "models/5.1.0/" })).objects).toEqual([]);
    // Sent in pieces without Content-Length, the right bytes are taken.
    const pieces = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(shard.slice(0, 10));
        controller.enqueue(shard.slice(10));
        controller.close();
      },
    });
    const ok = await call("/v1/admin/models/5.1.0/files/group1-shard1of1.bin", {
      method: "PUT",
      headers: adminHeaders({ "content-type": "application/octet-stream" }),
      body: pieces,
    });
    expect(ok.status).toBe(200);
  });

  it("rejects a card whose version differs from the URL, and an invalid card", async () => {
    const folder = await tinyModelFolder("6.0.0");
    expect((await putJson("/v1/admin/models/6.0.1/card", folder.card, adminHeaders())).status).toBe(400);
    const bad = await putJson("/v1/admin/models/6.0.0/card", { ...folder.card, classes: [] }, adminHeaders());
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).message).toContain("classes");
  });

  it("refuses to complete a model whose weights manifest does not match the files", async () => {
    const folder = await tinyModelFolder("7.0.0");
    const modelJson = JSON.parse(new TextDecoder().decode(folder.files["model.json"]));
    modelJson.weightsManifest[0].paths = ["../secrets.bin"];
    const broken = { ...folder.files, "model.json": new TextEncoder().encode(JSON.stringify(modelJson)) };
    const { card } = await tinyModelFolder("7.0.0");
    const brokenCard = {
      ...card,
      files: await Promise.all(
        Object.entries(broken).map(async ([name, bytes]) => ({
          name,
          size: bytes.byteLength,
          sha256: await sha256Hex(bytes),
        })),
      ),
    };
    await putJson("/v1/admin/models/7.0.0/card", brokenCard, adminHeaders());
    for (const [name, bytes] of Object.entries(broken))
      expect((await uploadFile("7.0.0", name, bytes)).status).toBe(200);
    const res = await completeModel("7.0.0");
    expect(res.status).toBe(422);
    expect((await errorOf(res)).message).toContain("../secrets.bin");
    expect((await call("/v1/models/7.0.0/card")).status).toBe(404);
  });
});

describe("complete", () => {
  const shard = "group1-shard1of1.bin";

  it.each([
    ["with the checksum R2 verified on upload", true],
    ["without a checksum", false],
  ])("refuses a stored shard whose bytes changed, %s", async (_how, withChecksum) => {
    const version = withChecksum ? "5.2.0" : "5.2.1";
    const folder = await tinyModelFolder(version);
    await putJson(`/v1/admin/models/${version}/card`, folder.card, adminHeaders());
    for (const [name, bytes] of Object.entries(folder.files)) await uploadFile(version, name, bytes);
    const file = folder.card.files.find((f) => f.name === shard)!;
    const changed = folder.files[shard]!.slice();
    changed[0] = (changed[0] ?? 0) ^ 0xff;
    await testEnv.MODELS.put(fileKey(version, file), changed, withChecksum ? { sha256: await sha256Hex(changed) } : {});
    const res = await completeModel(version);
    expect(res.status).toBe(409);
    expect(await errorOf(res)).toEqual({
      code: "file_mismatch",
      message: `stored files do not match the card: ${shard} has sha256 ${await sha256Hex(changed)}, the card says ${file.sha256}`,
    });

    // The right bytes, stored without a checksum, are hashed as they stream from R2.
    await testEnv.MODELS.put(fileKey(version, file), folder.files[shard]!);
    expect((await completeModel(version)).status).toBe(200);
  });
});

describe("files stored before keys held their sha256", () => {
  it("are still served for versions published then", async () => {
    const folder = await tinyModelFolder("8.2.0");
    await publish(folder);
    for (const file of folder.card.files) {
      const object = await testEnv.MODELS.get(fileKey("8.2.0", file));
      await testEnv.MODELS.put(legacyFileKey("8.2.0", file.name), await object!.arrayBuffer());
      await testEnv.MODELS.delete(fileKey("8.2.0", file));
    }
    for (const file of folder.card.files) {
      const res = await call(`/v1/models/8.2.0/files/${file.name}`);
      expect(res.status).toBe(200);
      expect(await sha256Hex(new Uint8Array(await res.arrayBuffer()))).toBe(file.sha256);
    }
  });

  it("are not served under the card's sha256 when their bytes are not the card's", async () => {
    const folder = await tinyModelFolder("8.3.0");
    await publish(folder);
    const shard = folder.card.files.find((f) => f.name === "group1-shard1of1.bin")!;
    // A stale upload of another card could overwrite a legacy key: same size, other bytes.
    const other = (await tinyModelFolder("8.3.0", 7)).files["group1-shard1of1.bin"]!;
    await testEnv.MODELS.put(legacyFileKey("8.3.0", shard.name), other);
    await testEnv.MODELS.delete(fileKey("8.3.0", shard));
    const res = await call(`/v1/models/8.3.0/files/${shard.name}`);
    expect(res.status).toBe(500);
    expect(res.headers.get("cache-control")).toBeNull();
    expect((await errorOf(res)).message).toContain(`${shard.name} in storage does not match its card`);
  });
});

describe("a card replaced while publishing", () => {
  const cardOf = async (version: string) => (await call(`/v1/models/${version}/card`)).json();

  it("is not published by a complete that verified the card before it", async () => {
    const first = await tinyModelFolder("8.0.0");
    const second = { ...first, card: { ...first.card, description: "the replacing card" } };
    await putJson("/v1/admin/models/8.0.0/card", first.card, adminHeaders());
    const verified = await getModel(testEnv.DB, "8.0.0");
    // Between a complete's checks and its final statement: the card is replaced and every file of
    // the new card uploaded. The complete that verified the first card must not publish the second.
    await putJson("/v1/admin/models/8.0.0/card", second.card, adminHeaders());
    for (const [name, bytes] of Object.entries(second.files)) await uploadFile("8.0.0", name, bytes);
    expect(await markComplete(testEnv.DB, "8.0.0", verified!.cardText)).toBe(false);
    expect((await call("/v1/models/8.0.0/card")).status).toBe(404);

    const done = await completeModel("8.0.0");
    expect(done.status).toBe(200);
    expect(await cardOf("8.0.0")).toEqual(second.card);
  });

  it("keeps a stale upload for the old card from overwriting or counting as the new card's file", async () => {
    const shard = "group1-shard1of1.bin";
    const old = await tinyModelFolder("8.1.0", 1);
    const fresh = await tinyModelFolder("8.1.0", 2);
    expect(fresh.card.files.find((f) => f.name === shard)?.sha256).not.toBe(
      old.card.files.find((f) => f.name === shard)?.sha256,
    );
    await putJson("/v1/admin/models/8.1.0/card", old.card, adminHeaders());

    // An upload of the old card's shard whose bytes arrive only after the card was replaced,
    // re-uploaded and published.
    let bodyRequested!: () => void;
    const handlerReading = new Promise<void>((resolve) => {
      bodyRequested = resolve;
    });
    let releaseBody!: () => void;
    const bodyReleased = new Promise<void>((resolve) => {
      releaseBody = resolve;
    });
    // highWaterMark 0: pulled only when the handler reads the body, which it does after reading the file's row.
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          bodyRequested();
          await bodyReleased;
          controller.enqueue(old.files[shard]!);
          controller.close();
        },
      },
      { highWaterMark: 0 },
    );
    const stale = call(`/v1/admin/models/8.1.0/files/${shard}`, {
      method: "PUT",
      headers: adminHeaders({ "content-type": "application/octet-stream" }),
      body,
    });
    await handlerReading;
    await publish(fresh);
    releaseBody();

    const res = await stale;
    expect(res.status).toBe(409);
    expect((await errorOf(res)).message).toContain(`changed while ${shard} was uploading`);
    const served = await call(`/v1/models/8.1.0/files/${shard}`);
    expect(await sha256Hex(new Uint8Array(await served.arrayBuffer()))).toBe(
      fresh.card.files.find((f) => f.name === shard)?.sha256,
    );
    expect(await cardOf("8.1.0")).toEqual(fresh.card);
  });
});
