import { describe, expect, it } from "vitest";
import { DEFAULT_STUDENT_CONFIG, FINETUNE_DEFAULTS, type StudentConfig } from "./config.js";
import { validateStudentConfig } from "./validate-config.js";

const base: StudentConfig = { ...DEFAULT_STUDENT_CONFIG, train: "train", val: "val", out: "out" };
const check = (changes: Partial<StudentConfig>) => () => validateStudentConfig({ ...base, ...changes });

describe("validateStudentConfig", () => {
  it("takes the defaults, and a run without KD, curriculum or fine-tuning", () => {
    expect(check({})).not.toThrow();
    expect(check({ kd: null, curriculum: null, finetune: null })).not.toThrow();
  });

  it("names the flag of a setting out of range, with the value it got", () => {
    expect(check({ unsure: { ...base.unsure, coverage: 85 } })).toThrow("--coverage must be a share in (0, 1], got 85");
    expect(check({ version: "x" })).toThrow('--model-version must be a semantic version such as 1.3.0, got "x"');
    expect(check({ epochs: -1 })).toThrow("--epochs must be a whole number of at least 1, got -1");
    expect(check({ head: { ...base.head, dropout: 1.5 } })).toThrow("--dropout must be in [0, 1), got 1.5");
    expect(check({ head: { ...base.head, hidden: [192, 0] } })).toThrow(
      "--hidden must be a whole number of at least 1, got 0",
    );
    expect(check({ seed: 1.5 })).toThrow("--seed must be a whole number of at least 0, got 1.5");
    expect(check({ inputSize: 16 })).toThrow("--input-size must be a whole number of at least 32, got 16");
    expect(check({ kd: { alpha: 1, temperature: 0 } })).toThrow("--kd-temperature must be above 0, got 0");
    expect(check({ learningRate: 0 })).toThrow("--lr must be above 0, got 0");
    expect(check({ testTimeFlips: ["id", "id"] })).toThrow("--tta-flips must be distinct flips");
    expect(check({ finetune: { ...FINETUNE_DEFAULTS, batchSize: 0 } })).toThrow(
      "--finetune-batch must be a whole number of at least 1, got 0",
    );
  });

  it("names settings only a --config file sets, and fields it left out or gave the wrong type", () => {
    expect(check({ batchSize: 0 })).toThrow("--config batchSize must be a whole number of at least 1, got 0");
    expect(check({ epochs: "3" as unknown as number })).toThrow(
      '--epochs must be a whole number of at least 1, got "3"',
    );
    expect(check({ loss: { kind: "ce" } as StudentConfig["loss"] })).toThrow(
      "--weighting must be one of none, inverse, effective, got nothing",
    );
    expect(check({ quantization: "int4" as StudentConfig["quantization"] })).toThrow(
      '--quantization must be one of float32, float16, uint8, got "int4"',
    );
  });

  it("refuses settings that cannot go together", () => {
    expect(check({ subsets: { manyAt: 10, fewBelow: 20 } })).toThrow("--many-at (10) must be above --few-below (20)");
    expect(check({ teacherLogits: "ensemble.json" })).not.toThrow();
    expect(check({ kd: null, teacherLogits: "ensemble.json" })).toThrow(
      "--teacher-logits gives soft targets to distil from; it cannot go with --no-kd",
    );
    expect(check({ finetune: { ...FINETUNE_DEFAULTS, epochs: 2, keep: "last", averageLast: 3 } })).toThrow(
      /--finetune-average-last must be a whole number from 1 to --finetune-epochs \(2\)/,
    );
  });
});
