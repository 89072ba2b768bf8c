/**
 * The in-browser half of `npm run bench -- pwa`: loads the model with the app's own backend selection
 * and classifier, then times it. Bundled by bench/pwa.ts; results are returned through `globalThis`.
 */
import { type ModelCard, preprocess, testTimeFlips } from "@pifu/core";
import * as tf from "@tensorflow/tfjs-core";
import { type BackendName, selectBackend } from "../src/model/backend.js";
import { loadClassifier } from "../src/model/classifier.js";
import { photoLogits } from "../src/model/views.js";

export interface BackendTiming {
  requested: BackendName;
  backend: BackendName;
  wasmThreads: boolean;
  crossOriginIsolated: boolean;
  loadMs: number;
  /** Model only, one pass over one image, median of `runs` after warm-up. */
  inferMs: number;
  /** The card's test-time views of one photo (1 without test-time augmentation). */
  views: number;
  /** Model only, every view of one photo in one batch, logits averaged, as a check runs it; median. */
  photoMs: number;
  /** Preprocessing a 1280×960 photo plus `photoMs`, median. */
  endToEndMs: number;
  tensorsLeaked: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

async function run(requested: BackendName, runs: number, warmup: number): Promise<BackendTiming> {
  const backend = await selectBackend("/tfjs/", requested);
  const card = (await (await fetch("/model/model-card.json")).json()) as ModelCard;
  const files = new Map<string, Uint8Array>();
  for (const { name } of card.files)
    files.set(name, new Uint8Array(await (await fetch(`/model/${name}`)).arrayBuffer()));
  const loadStart = performance.now();
  const classifier = await loadClassifier(card, files);
  const loadMs = performance.now() - loadStart;
  const photo = { data: new Uint8ClampedArray(1280 * 960 * 4), width: 1280, height: 960, channels: 4 as const };
  for (let i = 0; i < photo.data.length; i++) photo.data[i] = (i * 7919) % 251;
  const input = preprocess(photo, card.preprocessing);
  for (let i = 0; i < warmup; i++) await photoLogits(classifier, input);
  const timed = async (times: number, work: () => Promise<unknown>) => {
    const ms: number[] = [];
    for (let i = 0; i < times; i++) {
      const start = performance.now();
      await work();
      ms.push(performance.now() - start);
    }
    return median(ms);
  };
  const tensorsBefore = tf.memory().numTensors;
  const inferMs = await timed(runs, () => classifier.logits(input));
  const photoMs = await timed(runs, () => photoLogits(classifier, input));
  const endToEndMs = await timed(Math.min(runs, 20), () =>
    photoLogits(classifier, preprocess(photo, card.preprocessing)),
  );
  const tensorsLeaked = tf.memory().numTensors - tensorsBefore;
  classifier.dispose();
  return {
    requested,
    backend,
    wasmThreads: backend === "wasm" && (await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT")) === true,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    loadMs,
    inferMs,
    views: testTimeFlips(card).length,
    photoMs,
    endToEndMs,
    tensorsLeaked,
  };
}

(globalThis as unknown as { pifuBench: typeof run }).pifuBench = run;
