import { describe, expect, expectTypeOf, it } from "vitest";
import type { StudentSummary } from "./pipeline.js";
import {
  checkSameSetup,
  isSeedSpreadOutput,
  parseSummary,
  type SummaryFields,
  seedRunFrom,
  seedSpreadArgs,
  seedSpreadMarkdown,
  spread,
} from "./seed-spread.js";

function summary(seed: number, accuracy: number, macroF1: number): SummaryFields {
  const perClass = { warts: { f1: 0.5 } };
  return {
    config: { seed },
    ablation: [{ accuracy, macroF1 }],
    exported: { evaluation: { accuracy: accuracy + 0.01, macroF1, ece: 0.04, perClass } },
  };
}

describe("seed spread", () => {
  it("gives the mean, sample sd and range", () => {
    const s = spread([0.7, 0.72, 0.74]);
    expect(s.mean).toBeCloseTo(0.72, 10);
    expect(s.sd).toBeCloseTo(0.02, 10);
    expect([s.min, s.max]).toEqual([0.7, 0.74]);
    expect(spread([0.5]).sd).toBe(0);
    expect(() => spread([])).toThrow(RangeError);
  });

  it("tables a group of runs with their mean ± sd", () => {
    const runs = [seedRunFrom("runs/a", summary(1, 0.7, 0.6)), seedRunFrom("runs/b", summary(2, 0.74, 0.64))];
    expect(runs[1]).toMatchObject({ seed: 2, float32: { accuracy: 0.74 }, exported: { accuracy: 0.75 } });
    expect(runs[0]?.perClassF1).toEqual({ warts: 0.5 });
    const md = seedSpreadMarkdown([{ name: "shipped", runs }]);
    expect(md).toContain("#### shipped (2 runs)");
    expect(md).toContain("| runs/b | 2 | 0.740 | 0.640 | 0.750 | 0.640 | 0.040 |");
    expect(md).toContain("**0.720 ± 0.028**");
    expect(md).toContain("0.700–0.740");
  });

  it("reads a fine-tuned run's float32 figures from the fine-tuned row, the weights it exported", () => {
    const frozen = summary(1, 0.7, 0.6);
    const tuned: SummaryFields = {
      ...frozen,
      finetuned: true,
      ablation: [...frozen.ablation, { accuracy: 0.77, macroF1: 0.73 }],
    };
    expect(seedRunFrom("runs/t", tuned).float32).toEqual({ accuracy: 0.77, macroF1: 0.73 });
    expect(seedRunFrom("runs/f", { ...tuned, finetuned: false }).float32).toEqual({ accuracy: 0.7, macroF1: 0.6 });
  });

  it("reads only fields the pipeline writes", () => {
    expectTypeOf<StudentSummary>().toExtend<SummaryFields>();
  });

  it("reads a summary.json's fields, and names the file when it is not JSON or lacks a field", () => {
    const full = { ...summary(3, 0.7, 0.6), name: "pifu-skin8-student", calibration: { temperature: 1.2 } };
    expect(parseSummary("runs/a/summary.json", JSON.stringify(full)).config).toEqual({ seed: 3 });
    expect(() => parseSummary("runs/a/summary.json", "{ seed: 3")).toThrow(/^runs\/a\/summary\.json is not JSON: /);
    expect(() => parseSummary("runs/a/summary.json", "{}")).toThrow(
      /^runs\/a\/summary\.json is not an `npm run student` summary: .*config/,
    );
    const noSeed = { ...summary(3, 0.7, 0.6), config: {} };
    expect(() => parseSummary("runs/b/summary.json", JSON.stringify(noSeed))).toThrow(
      /runs\/b\/summary\.json .*config\.seed/,
    );
  });

  it("keeps a summary.json's whole config, for the runs of a group to be compared", () => {
    const full = { ...summary(3, 0.7, 0.6), config: { seed: 3, epochs: 30, finetune: { learningRate: 1e-4 } } };
    expect(parseSummary("runs/a/summary.json", JSON.stringify(full)).config).toEqual(full.config);
  });

  it("refuses a summary without the chosen row", () => {
    expect(() => seedRunFrom("runs/x", { ...summary(1, 0.7, 0.6), ablation: [] })).toThrow(/no ablation rows/);
  });
});

describe("runs of one group", () => {
  /** A run of `config` on `classes`, as parseSummary reads it. */
  const run = (name: string, config: Record<string, unknown>, classes = ["nevus", "warts"]) => {
    const fields = summary(Number(config.seed), 0.7, 0.6);
    const perClass = Object.fromEntries(classes.map((c) => [c, { f1: 0.5 }]));
    return {
      run: name,
      summary: parseSummary(
        `${name}/summary.json`,
        JSON.stringify({ ...fields, config, exported: { evaluation: { ...fields.exported.evaluation, perClass } } }),
      ),
    };
  };
  const config = { seed: 1, out: "runs/s1", train: "data/train", val: "data/val", cache: ".cache/student" };
  const finetune = { epochs: 16, learningRate: 1e-4 };

  it("may differ in seed and in where they read and wrote", () => {
    const other = { seed: 2, out: "runs/s2", train: "/copy/train", val: "/copy/val", cache: "/tmp/cache" };
    expect(
      checkSameSetup("a", [run("runs/s1", { ...config, finetune }), run("runs/s2", { ...other, finetune })]),
    ).toBeUndefined();
  });

  it("are warned about when their configs differ in more, naming the first key that differs", () => {
    const faster = { ...finetune, learningRate: 2e-4 };
    expect(
      checkSameSetup("a", [run("runs/s1", { ...config, finetune }), run("runs/s2", { ...config, finetune: faster })]),
    ).toBe(
      'group "a": runs/s1 and runs/s2 differ in finetune.learningRate (0.0001 vs 0.0002); its spread is not the seed\'s alone',
    );
    expect(checkSameSetup("a", [run("runs/s1", { ...config, epochs: 30 }), run("runs/s2", { ...config })])).toMatch(
      /differ in epochs \(30 vs absent\)/,
    );
  });

  it("are refused when they were trained on other classes (a leave-one-class-out fold among full runs)", () => {
    expect(() => checkSameSetup("a", [run("runs/full", config), run("runs/fold-nevus", config, ["warts"])])).toThrow(
      /^group "a": runs\/full and runs\/fold-nevus differ in classes \(\["nevus","warts"\] vs \["warts"\]\); runs of a group must share their classes$/,
    );
  });
});

describe("seed-spread --json", () => {
  it("recognises an earlier seed-spread output, and nothing else", () => {
    const runs = [seedRunFrom("runs/a", summary(1, 0.7, 0.6))];
    expect(isSeedSpreadOutput(JSON.stringify([{ name: "a", runs }]))).toBe(true);
    expect(isSeedSpreadOutput(JSON.stringify({ name: "pifu", version: "1.3.0" }))).toBe(false);
    expect(isSeedSpreadOutput("not json")).toBe(false);
  });
});

describe("seed-spread arguments", () => {
  it("gives each run folder to the --group before it", () => {
    const args = seedSpreadArgs(["--group", "a", "r1", "r2", "--json", "out.json", "--group=b", "r3", "--", "--r4"]);
    expect(args).toEqual({
      help: false,
      groups: [
        { name: "a", dirs: ["r1", "r2"] },
        { name: "b", dirs: ["r3", "--r4"] },
      ],
      json: "out.json",
    });
    expect(seedSpreadArgs(["--group", "a", "r1"])).not.toHaveProperty("json");
  });

  it("answers --help / -h anywhere before checking the rest", () => {
    expect(seedSpreadArgs(["--group", "a", "--help"]).help).toBe(true);
    expect(seedSpreadArgs(["-h", "--bogus"]).help).toBe(true);
  });

  it("names what is wrong, then the usage", () => {
    expect(() => seedSpreadArgs(["--group", "a", "r1", "--bogus"])).toThrow(/^unknown flag --bogus\nusage/);
    expect(() => seedSpreadArgs(["--group", "a", "r1", "-x"])).toThrow(/^unknown flag -x\n/);
    expect(() => seedSpreadArgs(["--group"])).toThrow(/^--group needs a value\n/);
    expect(() => seedSpreadArgs(["--group", "--json", "out.json"])).toThrow(/^--group needs a value\n/);
    expect(() => seedSpreadArgs(["--group", "a", "r1", "--json"])).toThrow(/^--json needs a value\n/);
    expect(() => seedSpreadArgs(["r0", "--group", "a", "r1"])).toThrow(/^run folder r0 comes before any --group\n/);
    expect(() => seedSpreadArgs(["--group", "a", "--group", "b", "r1"])).toThrow(/^group "a" has no runs\n/);
    expect(() => seedSpreadArgs([])).toThrow(/^usage: npm run seed-spread/);
    expect(() => seedSpreadArgs(["--group", "a", "runs/x", "runs/y", "runs/x/"])).toThrow(
      /^group "a" lists runs\/x\/ twice\n/,
    );
  });
});
