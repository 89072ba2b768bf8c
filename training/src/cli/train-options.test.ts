import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addTrainOptions, configFromFlags } from "./train-options.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pifu-cli-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function parse(argv: string[]) {
  const program = addTrainOptions(new Command("train").exitOverride());
  program.parse(argv, { from: "user" });
  return configFromFlags(program.opts(), (key) => program.getOptionValueSource(key) === "cli");
}

describe("train options", () => {
  it("layers defaults < backbone defaults < --config file < command-line flags", async () => {
    const file = join(dir, "config.json");
    await writeFile(
      file,
      JSON.stringify({ data: "d", out: "o", epochs: 7, seed: 5, loss: { kind: "focal", gamma: 1 } }),
    );
    const config = await parse(["--config", file, "--seed", "9", "--weighting", "inverse", "--head", "mlp:32-16"]);
    expect(config).toMatchObject({ data: "d", out: "o", epochs: 7, seed: 9, batchSize: 64, learningRate: 1e-3 });
    expect(config.loss).toMatchObject({ kind: "focal", gamma: 1, weighting: "inverse" });
    expect(config.head).toEqual({ hidden: [32, 16], dropout: 0, standardize: true });
  });

  it("refuses a --config field it does not know, and names the file when its JSON is malformed", async () => {
    const typo = join(dir, "typo.json");
    await writeFile(typo, JSON.stringify({ data: "d", out: "o", epochs: 7, learningRte: 0.01 }));
    await expect(parse(["--config", typo])).rejects.toThrow(
      /--config .*typo\.json: unknown field\(s\) learningRte; known: .*learningRate/,
    );
    const broken = join(dir, "broken.json");
    await writeFile(broken, "{ epochs: 7");
    await expect(parse(["--config", broken])).rejects.toThrow(/--config .*broken\.json: .*JSON/);
  });

  it("accepts every field of a finished run's config (run.json), so a run can be repeated from it", async () => {
    const previous = await parse(["--data", "d", "--out", "o", "--val", "v", "--layer", "block_15_add", "--seed", "3"]);
    const file = join(dir, "run-config.json");
    await writeFile(file, JSON.stringify(previous));
    expect(await parse(["--config", file])).toEqual(previous);
  });

  it("rejects bad values with the valid choices", async () => {
    await expect(parse(["--loss", "hinge"])).rejects.toThrow(/ce, focal, balanced-softmax, logit-adjusted/);
    await expect(parse(["--range", "1,0"])).rejects.toThrow(/min < max/);
    await expect(parse(["--backbone", "resnet"])).rejects.toThrow(/mobilenet_v2_0\.35/);
  });
});
