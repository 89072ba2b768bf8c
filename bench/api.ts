/**
 * `npm run bench -- api [--duration 10] [--connections 10] [--model DIR]`: req/s and latency of the
 * API under local workerd (wrangler's startWorker on 127.0.0.1, real local D1/R2) with autocannon,
 * for GET channel card, GET model file and POST feedback. Publishes models/default (or a generated
 * tiny model when that folder is not publishable) first. Prints one JSON object and writes
 * bench/results/api.json.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { exampleFeedback } from "@pifu/core/testing";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import autocannon from "autocannon";
import { CliError } from "../api/src/cli/api-client.js";
import { publishModelDir, readModelDir } from "../api/src/cli/publish-lib.js";
import { startLocalApi } from "../api/src/dev/local-api.js";
import { exportModelFolder } from "../training/src/export/card.js";
import { testCardFields, tinyClassifier } from "../training/src/export/test-model.js";

const root = resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "10" },
    model: { type: "string", default: join(root, "models/default") },
  },
});
const duration = Number(args.duration);
const connections = Number(args.connections);
const log = (message: string) => console.error(`[bench api] ${message}`);

interface Measured {
  path: string;
  reqPerSec: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  non2xx: number;
  bytesPerSec: number;
}

async function measure(url: string, options: Partial<autocannon.Options>, seconds = duration): Promise<Measured> {
  const result = await autocannon({ url, connections, duration: seconds, ...options });
  return {
    path: new URL(url).pathname,
    reqPerSec: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p90Ms: result.latency.p90,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    bytesPerSec: Math.round(result.throughput.average),
  };
}

/** The folder to publish: models/default when it is a valid model folder, else a generated tiny one. */
async function modelFolder(work: string): Promise<{ dir: string; source: string }> {
  try {
    await readModelDir(args.model);
    return { dir: args.model, source: args.model };
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    log(`${args.model} is not publishable (${error.message}); generating a tiny model`);
    await tf.setBackend("cpu");
    const dir = join(work, "tiny");
    await exportModelFolder(tinyClassifier(64, 8), dir, { ...(await testCardFields(64)), version: "0.0.1" });
    return { dir, source: "generated tiny model (64 px)" };
  }
}

const work = await mkdtemp(join(tmpdir(), "pifu-bench-api-"));
const api = await startLocalApi({ feedbackRateLimit: 100_000_000 });
try {
  const { dir, source } = await modelFolder(work);
  const card = await publishModelDir({ api: api.url, token: api.adminToken, dir, channel: "stable" });
  const largest = [...card.files].sort((a, b) => b.size - a.size)[0]!;
  log(`published ${card.version} from ${source}; measuring ${duration} s per endpoint, ${connections} connections`);

  const cardUrl = `${api.url}/v1/channels/stable`;
  const fileUrl = `${api.url}/v1/models/${card.version}/files/${largest.name}`;
  const feedbackUrl = `${api.url}/v1/feedback`;
  const feedbackOptions: Partial<autocannon.Options> = {
    method: "POST",
    headers: { "content-type": "application/json" },
    // A fresh record (new UUID) per request, so every request inserts a row; it names the published
    // model (whose classes are skin8's, as exampleFeedback's labels), or the API would refuse it.
    requests: [
      { setupRequest: (req) => ({ ...req, body: JSON.stringify(exampleFeedback({ modelVersion: card.version })) }) },
    ],
  };

  await measure(cardUrl, {}, 2); // warm-up
  // No D1 or R2 at all: what the local dev server itself manages on this machine right now.
  const healthResult = await measure(`${api.url}/v1/health`, {});
  const cardResult = await measure(cardUrl, {});
  const fileResult = { ...(await measure(fileUrl, {})), fileBytes: largest.size };
  await measure(feedbackUrl, feedbackOptions, 2);
  const feedbackResult = await measure(feedbackUrl, feedbackOptions);

  const result = {
    part: "api",
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, loadAverage1m: loadavg()[0] },
    server: "wrangler startWorker (local workerd) on 127.0.0.1, local D1 + R2",
    model: { version: card.version, source, files: card.files.length },
    settings: { durationSeconds: duration, connections },
    baselineHealth: healthResult,
    card: cardResult,
    file: fileResult,
    feedback: feedbackResult,
    targets: {
      cardReqPerSecAtLeast1000: cardResult.reqPerSec >= 1000,
      cardP99AtMost20Ms: cardResult.p99Ms <= 20,
      feedbackReqPerSecAtLeast300: feedbackResult.reqPerSec >= 300,
      feedbackZeroErrors: feedbackResult.errors === 0 && feedbackResult.non2xx === 0,
    },
  };
  const json = JSON.stringify(result, null, 2);
  await mkdir(join(root, "bench/results"), { recursive: true });
  await writeFile(join(root, "bench/results/api.json"), `${json}\n`);
  console.log(json);
} finally {
  await api.stop();
  await rm(work, { recursive: true, force: true });
}
