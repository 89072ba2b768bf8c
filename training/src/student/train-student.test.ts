import * as tfl from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend/index.js";
import { Rng } from "../data/rng.js";
import { cachedBatches } from "../distill/batches.js";
import { registerWasmGradientKernels } from "../kernels/index.js";
import { buildHead } from "../train/head.js";
import { DEFAULT_STUDENT_CONFIG, type StudentConfig } from "./config.js";
import { fineTuneTail } from "./train-student.js";

beforeAll(async () => {
  await initBackend("wasm");
  registerWasmGradientKernels();
});

const config: StudentConfig = {
  ...DEFAULT_STUDENT_CONFIG,
  train: "",
  val: "",
  out: "",
  seed: 3,
  testTimeFlips: ["id"],
};
const shape = [4, 4, 2];

/** Cached 4×4×2 maps whose class shows in which channel is brighter. */
function maps(count: number, seed: number): { inputs: Float32Array; labels: Int32Array } {
  const rng = new Rng(seed);
  const inputs = new Float32Array(count * 32);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 2;
    for (let p = 0; p < 16; p++) {
      inputs[i * 32 + p * 2 + (i % 2)] = 1 + rng.next();
      inputs[i * 32 + p * 2 + 1 - (i % 2)] = rng.next() * 0.5;
    }
  }
  return { inputs, labels };
}

function tail(): tfl.LayersModel {
  const input = tfl.input({ shape, name: "cut" });
  const conv = tfl.layers
    .conv2d({
      filters: 3,
      kernelSize: 3,
      padding: "same",
      name: "tail_conv",
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 5 }),
    })
    .apply(input) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: conv, name: "tail" });
}

/** The tail `run` is training, for selects that look at its weights. */
let running: tfl.LayersModel | undefined;
const tailKernel = () => running?.getLayer("tail_conv").getWeights()[0]?.dataSync() ?? new Float32Array();

function run(options: {
  select: (logits: Float32Array) => { score: number; note?: string };
  backboneLrScale: number;
  cropSize?: number;
  log?: (line: string) => void;
  keep?: "best" | "last";
  averageLast?: number;
  patience?: number;
}) {
  const model = tail();
  running = model;
  const head = buildHead(3, 2, { hidden: [], dropout: 0 }, 1);
  const train = maps(16, 1);
  const val = maps(8, 2);
  const convBefore = Array.from(model.getLayer("tail_conv").getWeights()[0]?.dataSync() ?? []);
  const valLogits = fineTuneTail({
    tail: model,
    head,
    trainable: ["tail_conv"],
    train: { source: cachedBatches(new Map([["id", train.inputs]]), shape), labels: train.labels },
    shape,
    valInputs: new Map([["id", val.inputs]]),
    numClasses: 2,
    config,
    kd: undefined,
    epochs: 3,
    learningRate: 0.05,
    patience: 10,
    ...options,
  });
  const convAfter = Array.from(model.getLayer("tail_conv").getWeights()[0]?.dataSync() ?? []);
  return { valLogits, convBefore, convAfter };
}

describe("fineTuneTail", () => {
  it("keeps the starting weights when no epoch scores better, and logs each epoch's described val figures", () => {
    const lines: string[] = [];
    const { valLogits, convBefore, convAfter } = run({
      select: (logits) => ({ score: 0, note: `rows ${logits.length / 2}` }),
      backboneLrScale: 1,
      log: (line) => lines.push(line),
    });
    expect(convAfter).toEqual(convBefore);
    expect(valLogits).toHaveLength(16);
    const epochLines = lines.filter((line) => line.includes("fine-tune epoch"));
    expect(epochLines).toHaveLength(3);
    for (const line of epochLines) expect(line).toMatch(/val score 0\.0000, rows 8$/);
    expect(lines.at(-1)).toMatch(/keeping the weights after epoch 0/);
  });

  it("trains the tail at its own rate, on random crops, and scores val on whole maps", () => {
    const scored: number[] = [];
    const select = (logits: Float32Array) => {
      scored.push(logits.length);
      return { score: scored.length }; // every epoch "improves", so the last weights are kept
    };
    const moved = run({ select, backboneLrScale: 1, cropSize: 2 });
    expect(moved.convAfter).not.toEqual(moved.convBefore);
    expect(scored.every((n) => n === 16)).toBe(true);
    let epochs = 0;
    const still = run({ select: () => ({ score: ++epochs }), backboneLrScale: 0, cropSize: 2 });
    expect(still.convAfter).toEqual(still.convBefore);
  });

  it('with keep "last" runs every epoch and keeps the final weights however val scores them', () => {
    const lines: string[] = [];
    const last = run({
      select: () => ({ score: 0 }),
      backboneLrScale: 1,
      keep: "last",
      patience: 1,
      log: (l) => lines.push(l),
    });
    expect(last.convAfter).not.toEqual(last.convBefore);
    expect(lines.filter((line) => line.includes("fine-tune epoch"))).toHaveLength(3);
    expect(lines.at(-1)).toBe("  keeping the last epoch's weights");
  });

  it("with averageLast keeps the mean of the weights at the end of the final epochs", () => {
    const seen: number[][] = [];
    const lines: string[] = [];
    const options = { backboneLrScale: 1, keep: "last" as const, log: (l: string) => lines.push(l) };
    const last = run({ ...options, select: () => ({ score: 0 }) });
    const averaged = run({
      ...options,
      averageLast: 2,
      // The tail's kernel as each epoch leaves it, read while val is scored.
      select: () => {
        seen.push(Array.from(tailKernel()));
        return { score: 0 };
      },
    });
    expect(seen).toHaveLength(5); // before training, after each of 3 epochs, after averaging
    const mean = (seen[2] as number[]).map((v, i) => (v + (seen[3] as number[])[i]!) / 2);
    for (const [i, v] of averaged.convAfter.entries()) expect(v).toBeCloseTo(mean[i] as number, 6);
    expect(seen[3]).toEqual(last.convAfter); // same seed: the runs agree until the average
    expect(averaged.convAfter).not.toEqual(last.convAfter);
    expect(lines.at(-1)).toMatch(/keeping the mean of the last 2 epochs' weights \(val score 0\.0000\)/);
  });
});
