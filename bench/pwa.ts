/**
 * `npm run bench -- pwa [--runs 50] [--model DIR]`: ms/image (one model pass) and ms/photo (the card's
 * test-time views, as a check runs them) for the student model in headless
 * Chromium on wasm and on WebGL (median of the runs after warm-up), and the gzipped sizes of the app
 * shell and of the tfjs chunk. Prints one JSON object and writes bench/results/pwa.json.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { build as esbuild } from "esbuild";
import { build as viteBuild } from "vite";
import type { BackendTiming } from "../pwa/build/bench-page.js";
import { DEFAULT_MODEL_DIR, pwaConfig } from "../pwa/build/config.js";
import { servePwa } from "../pwa/build/serve.js";
import { writeFixtureModel } from "../pwa/testing/fixture-model.js";
import { launchChromium } from "../test/e2e/browser.js";

const root = resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: { runs: { type: "string", default: "50" }, model: { type: "string" } },
});
const runs = Number(args.runs);
const log = (message: string) => console.error(`[bench pwa] ${message}`);

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

const gzipped = async (path: string) => gzipSync(await readFile(path), { level: 9 }).byteLength;

/** Sizes of the built app: the shell (html, css, app js, service worker) and the tfjs chunk, gzipped. */
async function bundleSizes(distDir: string) {
  const files = await listFiles(distDir);
  const tfjs = files.filter((f) => /^assets\/tfjs-.*\.js$/.test(f));
  const shell = files.filter(
    (f) => !tfjs.includes(f) && /\.(html|css|js|webmanifest)$/.test(f) && !f.startsWith("models/"),
  );
  const sum = async (list: string[]) =>
    (await Promise.all(list.map((f) => gzipped(join(distDir, f))))).reduce((a, b) => a + b, 0);
  const wasm = files.filter((f) => f.endsWith(".wasm"));
  return {
    appShellGzipBytes: await sum(shell),
    tfjsChunkGzipBytes: await sum(tfjs),
    wasmGzipBytes: Object.fromEntries(await Promise.all(wasm.map(async (f) => [f, await gzipped(join(distDir, f))]))),
    shellFiles: shell.sort(),
  };
}

const work = await mkdtemp(join(tmpdir(), "pifu-bench-pwa-"));
try {
  let modelDir = args.model ? resolve(args.model) : DEFAULT_MODEL_DIR;
  let modelSource = relative(root, modelDir) || modelDir;
  if (!(await exists(join(modelDir, "model-card.json")))) {
    // No trained student yet: time a generated stand-in with a student-sized input so the numbers exist.
    log(`${modelDir} has no model-card.json; timing a generated 224 px stand-in instead`);
    modelDir = join(work, "stand-in");
    await writeFixtureModel(modelDir, { version: "0.0.0", inputSize: 224, filters: [16, 32, 64, 128] });
    modelSource = "generated stand-in (models/default missing)";
  }
  const card = JSON.parse(await readFile(join(modelDir, "model-card.json"), "utf8"));

  log("building the PWA…");
  const distDir = join(work, "dist");
  await viteBuild(pwaConfig({ modelDir, outDir: distDir }));
  const sizes = await bundleSizes(distDir);

  log("bundling the bench page…");
  const pageDir = join(work, "page");
  await mkdir(join(pageDir, "model"), { recursive: true });
  await cp(join(distDir, "tfjs"), join(pageDir, "tfjs"), { recursive: true });
  await cp(modelDir, join(pageDir, "model"), { recursive: true });
  await esbuild({
    entryPoints: [join(root, "pwa/build/bench-page.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    outfile: join(pageDir, "bench.js"),
    logLevel: "warning",
  });
  await writeFile(
    join(pageDir, "index.html"),
    '<!doctype html><meta charset="utf-8"><script type="module" src="/bench.js"></script>',
  );

  const server = await servePwa({ distDir: pageDir, apiUrl: "http://127.0.0.1:9" });
  const browser = await launchChromium();
  const timings: Record<string, BackendTiming | { error: string }> = {};
  try {
    for (const backend of ["wasm", "webgl"] as const) {
      log(`timing ${backend}…`);
      const page = await browser.context.newPage();
      await page.goto(server.url);
      await page.waitForFunction(() => "pifuBench" in globalThis);
      try {
        timings[backend] = await page.evaluate(
          ([b, n]) =>
            (
              globalThis as unknown as { pifuBench: (b: string, n: number, w: number) => Promise<BackendTiming> }
            ).pifuBench(b, n, 5),
          [backend, runs] as const,
        );
      } catch (error) {
        timings[backend] = { error: (error as Error).message };
      }
      await page.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }

  const wasm = timings.wasm;
  const result = {
    part: "pwa",
    date: new Date().toISOString(),
    machine: {
      cpus: availableParallelism(),
      cpu: cpus()[0]?.model,
      // Other jobs on a shared machine slow every number here; the 1-minute load average says how busy it was.
      loadAverage1m: loadavg()[0],
      browser: "Debian Chromium (headless)",
    },
    model: {
      source: modelSource,
      name: card.name,
      version: card.version,
      inputSize: card.preprocessing.inputSize,
      quantization: card.quantization,
      bytes: card.files.reduce((sum: number, f: { size: number }) => sum + f.size, 0),
    },
    runs,
    msPerImage: {
      wasm: wasm && "inferMs" in wasm ? wasm.inferMs : null,
      webgl: timings.webgl && "inferMs" in timings.webgl ? timings.webgl.inferMs : null,
    },
    // A check runs the card's test-time views (one batch); this is what a person waits for.
    msPerPhoto: {
      views: wasm && "views" in wasm ? wasm.views : null,
      wasm: wasm && "photoMs" in wasm ? wasm.photoMs : null,
      webgl: timings.webgl && "photoMs" in timings.webgl ? timings.webgl.photoMs : null,
    },
    target: { wasmMsPerImage: 30, met: wasm && "inferMs" in wasm ? wasm.inferMs <= 30 : false },
    timings,
    sizes,
  };
  const json = JSON.stringify(result, null, 2);
  await mkdir(join(root, "bench/results"), { recursive: true });
  await writeFile(join(root, "bench/results/pwa.json"), `${json}\n`);
  console.log(json);
} finally {
  await rm(work, { recursive: true, force: true });
}
