/** Uses ../shared/backbones: the folded extractors of both shared backbones match the unfolded models. */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { hasShared, sharedDir } from "../../../vitest.shared.js";
import { initBackend, tf } from "../backend/index.js";
import { embedBatch, loadBackbone } from "./backbone.js";
import { cutAt } from "./cut.js";
import { resolveBackbone } from "./registry.js";

describe.skipIf(!hasShared)("BatchNormalization folding on the shared backbones (needs ../shared)", () => {
  it.each([
    ["mobilenet_v2_0.35", 52],
    ["darknet_tiny", 14],
  ])(
    "%s: the folded extractor (%i BatchNormalizations folded) gives the unfolded features within 1e-4",
    async (name, batchNorms) => {
      await initBackend("wasm");
      const spec = resolveBackbone(name).spec;
      expect(existsSync(spec.location)).toBe(true);
      const backbone = await loadBackbone(spec);
      expect(backbone.folded?.batchNorms).toBe(batchNorms);
      // embedBatch below runs the fused-kernel executor; the reference is the unfolded model's predict.
      expect(backbone.infer).toBeDefined();
      expect(backbone.extractor.layers.some((l) => l.getClassName() === "BatchNormalization")).toBe(false);
      const [lo, hi] = spec.preprocess.range;
      const pixels = tf.tidy(
        () => tf.randomUniform([4, 224, 224, 3], lo, hi, "float32", 11).dataSync() as Float32Array,
      );
      const folded = embedBatch(backbone, pixels, 4);
      const reference = tf.tidy(
        () =>
          (
            cutAt(backbone.full, spec.layer).predict(tf.tensor4d(pixels, [4, 224, 224, 3])) as tf.Tensor
          ).dataSync() as Float32Array,
      );
      let diff = 0;
      let scale = 0;
      for (let i = 0; i < reference.length; i++) {
        diff = Math.max(diff, Math.abs((reference[i] as number) - (folded[i] as number)));
        scale = Math.max(scale, Math.abs(reference[i] as number));
      }
      expect(folded).toHaveLength(reference.length);
      expect(diff / scale).toBeLessThan(1e-4);
    },
    120_000,
  );
});
if (!hasShared) console.warn(`skipping BatchNormalization folding tests: ${sharedDir}/data/skin8 is absent`);
