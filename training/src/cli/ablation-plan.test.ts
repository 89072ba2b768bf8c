import { describe, expect, it } from "vitest";
import { resolveBackbone } from "../backbones/registry.js";
import { DEFAULT_CONFIG, type TrainConfig } from "../train/config.js";
import { ablationPlan, rowConfig } from "./ablation-plan.js";

// As `npm run ablation` builds it: the command's backbone (MobileNetV2) supplies the base's head settings.
const base: TrainConfig = { ...DEFAULT_CONFIG, data: "train", out: "out", learningRate: 1e-3, epochs: 60 };
const rows = ablationPlan("mobilenet_v2_0.35", ["mobilenet_v2_0.35", "darknet_tiny"], 0).flatMap((t) => t.rows);
const row = (slug: string) => rows.find((r) => r.slug === slug) ?? expect.unreachable(`no row ${slug}`);

describe("ablation rows", () => {
  it("train each backbone's head with that backbone's registry defaults", () => {
    const darknet = rowConfig(base, row("backbone-darknet_tiny-reweight"), new Set());
    expect(darknet.backbones).toEqual(["darknet_tiny"]);
    expect(darknet.loss.weighting).toBe("inverse");
    expect(darknet).toMatchObject(resolveBackbone("darknet_tiny").defaults);
    // Darknet's linear head underfits at MobileNet's 1e-3 in 60 epochs (docs/results/ablation.md).
    expect(darknet.learningRate).toBe(3e-3);
    const mobilenet = rowConfig(base, row("backbone-mobilenet_v2_0.35-reweight"), new Set());
    expect(mobilenet).toMatchObject({ learningRate: 1e-3, epochs: 60, batchSize: 64 });
    // Concatenated rows follow their first backbone.
    expect(rowConfig(base, row("best-concat-mlp-reweight"), new Set()).learningRate).toBe(1e-3);
  });

  it("keep head settings given explicitly for every row", () => {
    const pinned = { ...base, learningRate: 5e-4, epochs: 9 };
    const darknet = rowConfig(pinned, row("backbone-darknet_tiny-ce"), new Set(["learningRate", "epochs"] as const));
    expect(darknet).toMatchObject({ learningRate: 5e-4, epochs: 9, batchSize: 64 });
  });
});
