/** Builders for tests in every workspace (import from "@pifu/core/testing"); not used by the product. */
import { randomUUID } from "node:crypto";
import type { FeedbackRecord } from "./feedback.js";
import { sha256Hex } from "./hash.js";
import { SKIN8_CLASSES } from "./labels.js";
import type { ModelCard } from "./model-card.js";
import { DEFAULT_PREPROCESS } from "./preprocess.js";

const perfectClass = { precision: 1, recall: 1, f1: 1, support: 1 };

/** A schema-valid card for the given files (name → bytes). */
export async function exampleCard(
  files: Record<string, Uint8Array>,
  overrides: Partial<ModelCard> = {},
): Promise<ModelCard> {
  const entries = await Promise.all(
    Object.entries(files).map(async ([name, bytes]) => ({
      name,
      sha256: await sha256Hex(bytes),
      size: bytes.byteLength,
    })),
  );
  return {
    schemaVersion: 1,
    name: "pifu-test",
    version: "0.0.1",
    date: "2026-11-25",
    intendedUse: "Tests only.",
    classes: SKIN8_CLASSES.map(({ id, en, zh }) => ({ id, en, zh })),
    preprocessing: DEFAULT_PREPROCESS,
    backbone: { name: "test", source: "generated", sha256: "0".repeat(64) },
    training: { seed: 1, config: {} },
    metrics: {
      val: {
        accuracy: 1,
        macroF1: 1,
        weightedF1: 1,
        top3Accuracy: 1,
        ece: 0,
        support: 8,
        perClass: Object.fromEntries(SKIN8_CLASSES.map((c) => [c.id, perfectClass])),
      },
    },
    calibration: { temperature: 1, eceBefore: 0, eceAfter: 0 },
    unsure: { score: "maxProb", threshold: 0.5, coverage: 0.9 },
    quantization: "float32",
    modelFile: entries[0]?.name ?? "model.json",
    files: entries,
    ...overrides,
  };
}

export function exampleFeedback(overrides: Partial<FeedbackRecord> = {}): FeedbackRecord {
  return {
    id: randomUUID(),
    modelVersion: "1.0.0",
    prediction: [
      { label: "eczema", probability: 0.7 },
      { label: "psoriasis", probability: 0.2 },
      { label: "urticaria", probability: 0.05 },
    ],
    confirmedLabel: "psoriasis",
    confirmedBy: "doctor",
    bodySite: "arm",
    fitzpatrick: 3,
    locale: "zh",
    day: "2026-11-25",
    ...overrides,
  };
}
