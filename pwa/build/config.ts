/** The Vite configuration, as a function so tests and scripts can build with another model or folder. */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { MAX_MODEL_FILE_BYTES } from "@pifu/core";
import preact from "@preact/preset-vite";
import type { InlineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";
import { embedAssets } from "./embed-assets.js";

export const PWA_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const DEFAULT_MODEL_DIR = resolve(PWA_ROOT, "../models/default");

export interface PwaBuildOptions {
  /** The model folder embedded as the default (models/default unless PIFU_MODEL_DIR says otherwise). */
  modelDir?: string;
  outDir?: string;
  /** Origin of the API; empty means same origin (served behind a /v1 proxy). */
  apiOrigin?: string;
}

/**
 * Cross-origin isolation lets the tfjs wasm backend use threads (SharedArrayBuffer); every server of
 * the app (dev, preview, `npm start`) sends these.
 */
export const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export function pwaConfig(options: PwaBuildOptions = {}): InlineConfig {
  const modelDir = resolve(options.modelDir ?? process.env.PIFU_MODEL_DIR ?? DEFAULT_MODEL_DIR);
  return {
    configFile: false,
    root: PWA_ROOT,
    logLevel: "warn",
    define: { "import.meta.env.VITE_PIFU_API": JSON.stringify(options.apiOrigin ?? process.env.VITE_PIFU_API ?? "") },
    server: { headers: ISOLATION_HEADERS },
    preview: { headers: ISOLATION_HEADERS },
    build: {
      outDir: resolve(options.outDir ?? resolve(PWA_ROOT, "dist")),
      emptyOutDir: true,
      target: "es2022",
      chunkSizeWarningLimit: 3000,
      reportCompressedSize: false,
      rollupOptions: {
        output: {
          manualChunks: (id) => (id.includes("/node_modules/@tensorflow/") ? "tfjs" : undefined),
        },
      },
    },
    plugins: [
      preact(),
      embedAssets(modelDir),
      VitePWA({
        // The app asks before a new version takes over (src/app-update.tsx): no reload mid-use.
        registerType: "prompt",
        injectRegister: false,
        manifest: {
          name: "pifu skin check 皮肤自查",
          short_name: "pifu",
          description: "On-device, offline check of common skin conditions. Not a diagnosis.",
          lang: "en",
          start_url: ".",
          scope: ".",
          display: "standalone",
          orientation: "portrait",
          theme_color: "#0b5cad",
          background_color: "#ffffff",
          icons: [
            { src: "icons/icon-192.png", sizes: "192x192", type: "image/png" },
            { src: "icons/icon-512.png", sizes: "512x512", type: "image/png" },
            { src: "icons/icon-maskable-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
          ],
        },
        workbox: {
          globPatterns: ["**/*.{js,css,html,png,webmanifest,wasm,json,bin}"],
          // Every file of the embedded model must be precached (the largest a card may list), and the wasm binaries.
          maximumFileSizeToCacheInBytes: MAX_MODEL_FILE_BYTES,
          navigateFallback: "index.html",
          navigateFallbackDenylist: [/^\/v1\//],
          cleanupOutdatedCaches: true,
          // The first worker controls the page it installs from, so the app works offline after one load.
          // A later one waits (no skipWaiting) until the user taps Reload.
          clientsClaim: true,
        },
      }),
    ],
  };
}
