/**
 * Vite plugin: puts the default model folder under `models/default/` and the tfjs wasm binaries under
 * `tfjs/` in the build (so the service worker precaches them and nothing comes from a CDN), and serves
 * the same files in dev.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Plugin } from "vite";

const WASM_FILES = ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"];

/** Output path → source file on disk. */
function embeddedFiles(modelDir: string): Map<string, string> {
  const cardPath = join(modelDir, "model-card.json");
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(cardPath, "utf8"));
  } catch (error) {
    throw new Error(
      `no usable default model at ${cardPath} (${(error as Error).message}); ` +
        "export one with `npm run student` or point PIFU_MODEL_DIR at a model folder",
    );
  }
  // Only the file list is read here (vite.config.ts cannot load the TypeScript contract package);
  // the app verifies the card and every file's sha256 when it loads the model.
  const listed = (raw as { files?: { name?: unknown }[] }).files;
  if (!Array.isArray(listed) || listed.some((f) => typeof f?.name !== "string" || f.name.includes("/"))) {
    throw new Error(`${cardPath} has no valid "files" list`);
  }
  const files = new Map([["models/default/model-card.json", cardPath]]);
  for (const file of listed) files.set(`models/default/${file.name}`, join(modelDir, file.name as string));
  const wasmDir = dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm/package.json"));
  for (const name of WASM_FILES) files.set(`tfjs/${name}`, join(wasmDir, "dist", name));
  return files;
}

const CONTENT_TYPES: Record<string, string> = { json: "application/json", wasm: "application/wasm" };

export function embedAssets(modelDir: string): Plugin {
  let files: Map<string, string>;
  return {
    name: "pifu-embed-assets",
    buildStart() {
      files = embeddedFiles(modelDir);
      for (const source of files.values()) this.addWatchFile(source);
    },
    generateBundle() {
      for (const [fileName, source] of files) this.emitFile({ type: "asset", fileName, source: readFileSync(source) });
    },
    configureServer(server) {
      server.middlewares.use((request, response, next) => {
        const path = decodeURIComponent((request.url ?? "").split("?")[0] ?? "").replace(/^\//, "");
        const source = (files ?? embeddedFiles(modelDir)).get(path);
        if (!source) return next();
        const extension = path.split(".").pop() ?? "";
        response.setHeader("content-type", CONTENT_TYPES[extension] ?? "application/octet-stream");
        response.end(readFileSync(source));
      });
    },
  };
}
