import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { hasShared, sharedDir } from "../../../vitest.shared.js";
import { initBackend } from "../backend/index.js";
import { openModelDir } from "./model-dir.js";
import { evaluateModel } from "./run.js";

const MODEL_DIR = resolve(fileURLToPath(new URL("../../../models/default", import.meta.url)));

describe("models/default on skin8 val", () => {
  if (!hasShared) {
    it.skip(`skipped: ${sharedDir}/data/skin8 is absent`, () => {});
    return;
  }
  it("verifies, loads and reproduces the metrics on its card", async () => {
    await initBackend("wasm");
    const { card, model } = await openModelDir(MODEL_DIR);
    expect(card.version).toBe("1.4.0");
    expect(card.testTimeAugmentation?.flips).toEqual(["id", "h", "v", "hv"]);
    expect(card.quantization).toBe("float16");
    const totalBytes = card.files.reduce((n, f) => n + f.size, 0);
    expect(totalBytes).toBeLessThanOrEqual(1.5 * 1024 * 1024);
    const { result } = await evaluateModel({ model, card, data: join(sharedDir, "data/skin8/val") });
    expect(result.support).toBe(card.metrics.val.support);
    expect(result.accuracy).toBeCloseTo(card.metrics.val.accuracy, 3);
    expect(result.macroF1).toBeCloseTo(card.metrics.val.macroF1, 3);
    expect(result.ece).toBeCloseTo(card.metrics.val.ece, 3);
    // Well above the frozen MobileNetV2-0.35 linear baseline (accuracy 0.66 on this split).
    expect(result.accuracy).toBeGreaterThan(0.7);
    expect(result.unsureRateIn).toBeCloseTo(1 - card.unsure.coverage, 1);
  }, 600_000);
});
