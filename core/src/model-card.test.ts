import { describe, expect, it } from "vitest";
import {
  checkCardFiles,
  compareVersions,
  MAX_MODEL_FILE_BYTES,
  MAX_MODEL_FILES,
  ModelCardSchema,
  verifyModelCard,
} from "./model-card.js";
import { testTimeFlips } from "./test-time.js";
import { exampleCard } from "./testing.js";

const files = {
  "model.json": new TextEncoder().encode('{"format":"layers-model"}'),
  "group1-shard1of1.bin": new Uint8Array([1, 2, 3, 4]),
};
const reader = (store: Record<string, Uint8Array>) => async (name: string) => store[name];

describe("model card schema", () => {
  it("accepts a complete card whose files match", async () => {
    const card = await exampleCard(files);
    await expect(verifyModelCard(card, reader(files))).resolves.toEqual(card);
  });

  it("accepts test-time flips, and a card without them runs each photo once", async () => {
    const card = await exampleCard(files);
    expect(testTimeFlips(ModelCardSchema.parse(card))).toEqual(["id"]);
    const flipped = { ...card, testTimeAugmentation: { flips: ["id", "h", "v", "hv"], combine: "mean-logits" } };
    expect(testTimeFlips(ModelCardSchema.parse(flipped))).toEqual(["id", "h", "v", "hv"]);
  });

  it("rejects a card whose sha256 does not match its file", async () => {
    const card = await exampleCard(files);
    const tampered = { ...files, "group1-shard1of1.bin": new Uint8Array([1, 2, 3, 5]) };
    await expect(verifyModelCard(card, reader(tampered))).rejects.toThrow(/group1-shard1of1.bin has sha256/);
    const problems = await checkCardFiles(card, reader({ "model.json": files["model.json"] }));
    expect(problems.map((p) => p.problem)).toEqual(["missing"]);
    const truncated = await checkCardFiles(card, reader({ ...files, "model.json": files["model.json"].slice(0, 5) }));
    expect(truncated.map((p) => p.problem)).toEqual(["size"]);
  });

  it.each([
    ["a non-semver version", { version: "v1" }],
    ["a bad date", { date: "25/11/2026" }],
    ["an unknown field", { extra: true }],
    [
      "duplicate classes",
      {
        classes: [
          { id: "a", en: "A", zh: "甲" },
          { id: "a", en: "A", zh: "甲" },
        ],
      },
    ],
    [
      "a path in a file name",
      { files: [{ name: "../etc/passwd", sha256: "a".repeat(64), size: 1 }], modelFile: "model.json" },
    ],
    ["a modelFile not among the files", { modelFile: "other.json" }],
    ["a non-positive temperature", { calibration: { temperature: 0, eceBefore: 0, eceAfter: 0 } }],
    ["an unknown unsure score", { unsure: { score: "vibes", threshold: 0.5, coverage: 0.9 } }],
    ["an upper-case sha256", { backbone: { name: "b", source: "s", sha256: "A".repeat(64) } }],
    ["a repeated test-time flip", { testTimeAugmentation: { flips: ["id", "h", "id"], combine: "mean-logits" } }],
    ["an unknown test-time flip", { testTimeAugmentation: { flips: ["id", "rot90"], combine: "mean-logits" } }],
    ["no test-time views", { testTimeAugmentation: { flips: [], combine: "mean-logits" } }],
    [
      "a file over 64 MiB",
      {
        files: [{ name: "model.json", sha256: "a".repeat(64), size: 64 * 1024 * 1024 + 1 }],
        modelFile: "model.json",
      },
    ],
    [
      "more than 256 files",
      {
        files: Array.from({ length: 257 }, (_, i) => ({
          name: i === 0 ? "model.json" : `shard${i}.bin`,
          sha256: "a".repeat(64),
          size: 1,
        })),
        modelFile: "model.json",
      },
    ],
  ])("rejects %s", async (_what, patch) => {
    const card = { ...(await exampleCard(files)), ...patch };
    expect(ModelCardSchema.safeParse(card).success).toBe(false);
  });

  it("takes files up to 64 MiB and up to 256 of them", async () => {
    const card = await exampleCard(files);
    const largest = { ...card, files: card.files.map((f) => ({ ...f, size: MAX_MODEL_FILE_BYTES })) };
    expect(ModelCardSchema.safeParse(largest).success).toBe(true);
    const many = Array.from({ length: MAX_MODEL_FILES - card.files.length }, (_, i) => ({
      name: `extra${i}.bin`,
      sha256: "a".repeat(64),
      size: 1,
    }));
    expect(ModelCardSchema.safeParse({ ...card, files: [...card.files, ...many] }).success).toBe(true);
  });
});

describe("compareVersions", () => {
  it("orders semver including pre-releases", () => {
    const sorted = ["1.10.0", "1.2.0", "1.2.0-beta.1", "0.9.9", "2.0.0"].sort(compareVersions);
    expect(sorted).toEqual(["0.9.9", "1.2.0-beta.1", "1.2.0", "1.10.0", "2.0.0"]);
  });

  it("follows semver 11.4 for pre-release identifiers", () => {
    // The example order from semver.org §11.4.4, shuffled.
    const ordered = [
      "1.0.0-alpha",
      "1.0.0-alpha.1",
      "1.0.0-alpha.beta",
      "1.0.0-beta",
      "1.0.0-beta.2",
      "1.0.0-beta.11",
      "1.0.0-rc.1",
      "1.0.0",
    ];
    const shuffled = [5, 0, 7, 3, 1, 6, 2, 4].map((i) => ordered[i] as string);
    expect(shuffled.sort(compareVersions)).toEqual(ordered);
    expect(compareVersions("1.3.0-beta.10", "1.3.0-beta.9")).toBe(1);
    expect(compareVersions("1.3.0-beta.9", "1.3.0-beta.10")).toBe(-1);
  });

  it("splits at the first hyphen only, so hyphens inside the pre-release count", () => {
    expect(compareVersions("1.0.0-rc-1", "1.0.0-rc")).toBe(1);
    expect(compareVersions("1.0.0-rc-1", "1.0.0-rc-2")).toBe(-1);
    expect(compareVersions("1.0.0-rc-1", "1.0.0")).toBe(-1);
  });

  it("ignores build metadata and calls equal versions equal", () => {
    expect(compareVersions("1.0.0+build.5", "1.0.0+build.7")).toBe(0);
    expect(compareVersions("1.0.0-beta.2+exp.sha.5114f85", "1.0.0-beta.2")).toBe(0);
    expect(compareVersions("1.0.0-beta+x", "1.0.0")).toBe(-1);
    expect(compareVersions("2.1.3", "2.1.3")).toBe(0);
  });
});
