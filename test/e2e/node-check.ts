/** The PWA's check run in Node on the cpu backend, to compare what the browser shows against. */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ModelCard } from "@pifu/core";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import sharp from "sharp";
import { runCheck, topLabels } from "../../pwa/src/check.js";
import { loadClassifier } from "../../pwa/src/model/classifier.js";
import { fixturePng } from "./fixture-image.js";

/**
 * Top 3 (label, rounded percent) for the e2e photo `seed` with the model folder's card as it is, and
 * every class's percent with its test-time flips removed (one plain view).
 */
export async function nodeTop3(dir: string, seed: number) {
  await tf.setBackend("cpu");
  const card = JSON.parse(await readFile(join(dir, "model-card.json"), "utf8")) as ModelCard;
  const files = new Map<string, Uint8Array>();
  for (const { name } of card.files) files.set(name, new Uint8Array(await readFile(join(dir, name))));
  const { data, info } = await sharp(await fixturePng({ seed }))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const pixels = { data, width: info.width, height: info.height, channels: 3 as const };
  const percentages = async (asCard: ModelCard) => {
    const classifier = await loadClassifier(asCard, files);
    try {
      const check = await runCheck(classifier, pixels, new Blob([]));
      return {
        top: topLabels(check).map((m) => ({ label: m.label, percent: Math.round(m.probability * 100) })),
        all: new Map(
          asCard.classes.map((c, i) => [c.id, Math.round((check.interpretation.probabilities[i] ?? 0) * 100)]),
        ),
      };
    } finally {
      classifier.dispose();
    }
  };
  const { testTimeAugmentation: _flips, ...plainCard } = card;
  return { withFlips: (await percentages(card)).top, plain: (await percentages(plainCard)).all };
}
