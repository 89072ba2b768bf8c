/**
 * Publishing (admin): PUT the card (a pending, invisible version), PUT each file (checked against the
 * card's size and sha256), then POST complete (every file re-verified from R2 and the model.json
 * manifest checked) which makes the version visible in one statement, if the card is still the one
 * it verified. A card may be replaced while files are uploading: objects are keyed by content
 * (storage/files.ts) and an upload counts only for the card it was checked against.
 */
import { checkStoredFiles, fileProblem, ModelCardSchema, storedBytes } from "@pifu/core";
import { Hono } from "hono";
import type { AppEnv } from "../env.js";
import { ApiError } from "../errors.js";
import { parseWith, readBody, readJson, requireContentType } from "../middleware/body.js";
import { checkModelJson } from "../model-manifest.js";
import { contentTypeFor, fileKey } from "../storage/files.js";
import { getFile, getModel, listFiles, markComplete, markUploaded, putPendingModel } from "../storage/models.js";
import { storedObject } from "../storage/stored-files.js";
import { fileNameParam, versionParam } from "./params.js";

/** Cards are small; a file's upload is limited to the size its card declares. */
export const MAX_CARD_BYTES = 256 * 1024;

async function pendingModel(db: D1Database, version: string) {
  const model = await getModel(db, version);
  if (!model) throw new ApiError(404, "not_found", `model ${version} has no card yet; PUT its card first`);
  if (model.status === "complete") throw new ApiError(409, "conflict", `model ${version} is already published`);
  return model;
}

export const adminModelRoutes = new Hono<AppEnv>()
  .put("/models/:version/card", requireContentType("application/json"), async (c) => {
    const version = versionParam(c.req.param("version"));
    const card = parseWith(ModelCardSchema, await readJson(c, MAX_CARD_BYTES), "model card");
    if (card.version !== version) {
      throw new ApiError(400, "invalid_body", `the card's version ${card.version} does not match the URL's ${version}`);
    }
    const { stored, missing } = await putPendingModel(c.env.DB, card);
    if (!stored) throw new ApiError(409, "conflict", `model ${version} is already published; publish a new version`);
    return c.json({ version, status: "pending", files: card.files.map((f) => f.name), missing }, 201);
  })
  .put("/models/:version/files/:name", requireContentType("application/octet-stream"), async (c) => {
    const version = versionParam(c.req.param("version"));
    const name = fileNameParam(c.req.param("name"));
    await pendingModel(c.env.DB, version);
    const file = await getFile(c.env.DB, version, name);
    if (!file) throw new ApiError(404, "not_found", `the card of ${version} lists no file ${name}`);
    // A body longer than the card's size is refused as too large (413, by Content-Length or while reading); a shorter one is 422.
    const declared = c.req.header("content-length");
    if (declared !== undefined && Number(declared) < file.size) {
      throw new ApiError(422, "file_mismatch", `${name} is ${declared} bytes, the card says ${file.size}`);
    }
    const bytes = await readBody(c, file.size);
    const problem = await fileProblem(file, storedBytes(bytes));
    if (problem) throw new ApiError(422, "file_mismatch", problem.message);
    const { sha256 } = file;
    await c.env.MODELS.put(fileKey(version, file), bytes, {
      sha256,
      httpMetadata: { contentType: contentTypeFor(name) },
    });
    if (!(await markUploaded(c.env.DB, version, file))) {
      throw new ApiError(
        409,
        "conflict",
        `the card of ${version} changed while ${name} was uploading; check it and retry`,
      );
    }
    return c.json({ version, name, sha256, size: file.size });
  })
  .post("/models/:version/complete", async (c) => {
    const version = versionParam(c.req.param("version"));
    const model = await pendingModel(c.env.DB, version);
    const missing = (await listFiles(c.env.DB, version)).filter((f) => !f.uploaded).map((f) => f.name);
    if (missing.length > 0) throw new ApiError(409, "conflict", `files not uploaded yet: ${missing.join(", ")}`);
    // Only model.json's bytes are needed (for its manifest); the other files are checked from R2's checksums.
    let modelJson: Uint8Array | undefined;
    const problems = await checkStoredFiles(model.card, async (file) => {
      const key = fileKey(version, file);
      if (file.name !== model.card.modelFile) return storedObject(c.env.MODELS, key);
      const object = await c.env.MODELS.get(key);
      modelJson = object ? new Uint8Array(await object.arrayBuffer()) : undefined;
      return storedBytes(modelJson);
    });
    if (problems.length > 0) {
      throw new ApiError(
        409,
        "file_mismatch",
        `stored files do not match the card: ${problems.map((p) => p.message).join("; ")}`,
      );
    }
    const manifestProblems = checkModelJson(new TextDecoder().decode(modelJson), model.card);
    if (manifestProblems.length > 0) throw new ApiError(422, "invalid_model", manifestProblems.join("; "));
    if (!(await markComplete(c.env.DB, version, model.cardText))) {
      throw new ApiError(409, "conflict", `model ${version} changed while completing; check it and retry`);
    }
    return c.json({ version, status: "complete", card: model.card });
  });
