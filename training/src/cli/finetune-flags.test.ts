import { describe, expect, it } from "vitest";
import { FINETUNE_DEFAULTS, type StudentConfig } from "../student/config.js";
import { fineTuneConfig } from "./finetune-flags.js";

const configured: NonNullable<StudentConfig["finetune"]> = {
  ...FINETUNE_DEFAULTS,
  cut: "block_9_add",
  images: true,
  keep: "last",
};

describe("fineTuneConfig", () => {
  it("keeps a frozen configuration frozen unless --finetune-epochs turns fine-tuning on", () => {
    expect(fineTuneConfig({}, null)).toBeNull();
    expect(fineTuneConfig({ finetuneCut: "block_13_project_BN" }, null)).toBeNull();
    expect(fineTuneConfig({ finetuneEpochs: 5 }, null)).toEqual({ ...FINETUNE_DEFAULTS, epochs: 5 });
  });

  it("applies each given flag over the configured fine-tuning, and 0 epochs turns it off", () => {
    expect(fineTuneConfig({}, configured)).toEqual(configured);
    expect(fineTuneConfig({ finetuneLr: 3e-4, finetuneImages: false, finetuneAverageLast: 4 }, configured)).toEqual({
      ...configured,
      learningRate: 3e-4,
      images: false,
      averageLast: 4,
    });
    expect(fineTuneConfig({ finetuneEpochs: 0, finetuneImages: true }, configured)).toBeNull();
    expect(fineTuneConfig({ finetuneMix: "cutmix", finetuneMixProbability: 0.3 }, configured)?.mix).toEqual({
      mode: "cutmix",
      alpha: FINETUNE_DEFAULTS.mix.alpha,
      probability: 0.3,
    });
  });
});
