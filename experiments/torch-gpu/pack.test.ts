import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_PREPROCESS, preprocess, SKIN8_CLASS_IDS } from "@pifu/core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BackboneSpec } from "../../training/src/backbones/registry.js";
import { initBackend } from "../../training/src/backend/index.js";
import { readDataset, SKIN8_ONLY } from "../../training/src/data/dataset.js";
import { decodeImage } from "../../training/src/data/decode.js";
import { exportModelFolder } from "../../training/src/export/card.js";
import { testCardFields, tinyClassifier } from "../../training/src/export/test-model.js";
import { DEFAULT_STUDENT_CONFIG } from "../../training/src/student/config.js";
import { writeSyntheticSet, writeTinyBackbone } from "../../training/src/testing/fixtures.js";
import { type PackedSplit, packBackbones, packParity, packSplit } from "./pack.js";

const SIDE = 16;
let dir: string;
let backbone: BackboneSpec;

beforeAll(async () => {
  await initBackend("wasm");
  dir = await mkdtemp(join(tmpdir(), "pifu-gpu-pack-"));
  await writeSyntheticSet(join(dir, "data"), { classes: ["eczema", "nevus", "warts"], perClass: [3, 2, 2], size: 40 });
  const fields = await testCardFields(SIDE);
  await exportModelFolder(
    tinyClassifier(SIDE, 8, 2),
    join(dir, "student"),
    { ...fields, preprocessing: { ...fields.preprocessing, inputSize: SIDE } },
    "float16",
  );
  backbone = {
    name: "tiny",
    location: await writeTinyBackbone(join(dir, "tiny"), SIDE),
    layer: "tiny_conv2",
    preprocess: { ...DEFAULT_PREPROCESS, inputSize: SIDE, range: [0, 1] },
  };
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("packSplit", () => {
  it("stores every photo as a JPEG of its contract pixels, indexed by offset with its skin8 label", async () => {
    const out = join(dir, "split");
    await mkdir(out);
    const packed = await packSplit(await readDataset(join(dir, "data"), SKIN8_ONLY), out, "train", SIDE, 95);
    expect(packed.photos).toBe(7);
    const index = JSON.parse(await readFile(join(out, "train.json"), "utf8")) as PackedSplit;
    const blob = await readFile(join(out, "train.bin"));
    expect(index.classes).toEqual([...SKIN8_CLASS_IDS]);
    expect(index.index.map((e) => SKIN8_CLASS_IDS[e.label])).toEqual([
      "eczema",
      "eczema",
      "eczema",
      "nevus",
      "nevus",
      "warts",
      "warts",
    ]);
    const last = index.index.at(-1)!;
    expect(last.offset + last.length).toBe(blob.length);

    const decodedAt = async (i: number) => {
      const entry = index.index[i]!;
      return await sharp(blob.subarray(entry.offset, entry.offset + entry.length))
        .raw()
        .toBuffer({ resolveWithObject: true });
    };
    const contract = async (classId: string) => {
      const source = (await readdir(join(dir, "data", classId))).sort()[0]!;
      const image = await decodeImage(join(dir, "data", classId, source));
      return preprocess(image, { ...DEFAULT_PREPROCESS, inputSize: SIDE, range: [0, 255] });
    };
    const meanError = (a: Float32Array, b: Uint8Array) =>
      a.reduce((sum, v, i) => sum + Math.abs(v - (b[i] as number)), 0) / a.length;
    const { data, info } = await decodedAt(0);
    expect([info.width, info.height, info.channels]).toEqual([SIDE, SIDE, 3]);
    // JPEG at quality 95 of the very pixels the contract gives (the fixtures are noisy, so ~3 levels),
    // far from any other photo's.
    const own = meanError(await contract("eczema"), data);
    expect(own).toBeLessThan(6);
    expect(meanError(await contract("nevus"), data)).toBeGreaterThan(own * 3);
  });
});

describe("packParity and packBackbones", () => {
  it("keeps exact val pixels with the student's and each backbone's tfjs outputs, and describes the backbones", async () => {
    const out = join(dir, "parity");
    await mkdir(out);
    const { items } = await readDataset(join(dir, "data"), SKIN8_ONLY);
    const count = await packParity(items, out, join(dir, "student"), [backbone], 4, SIDE);
    expect(count).toBe(4);
    const pixels = await readFile(join(out, "parity.bin"));
    expect(pixels.length).toBe(4 * SIDE * SIDE * 3);
    const reference = JSON.parse(await readFile(join(out, "parity.json"), "utf8"));
    expect(reference.studentRange).toEqual([-1, 1]);
    expect(reference.outputs.student).toHaveLength(4);
    expect(reference.outputs.student[0]).toHaveLength(8);
    // the backbone's whole model (two convolutions, no pooling): 8×8×12 per photo
    expect(reference.outputs.tiny[0]).toHaveLength(SIDE / 2);

    await packBackbones(out, ["eczema", "nevus", "warts"], [backbone]);
    const pack = JSON.parse(await readFile(join(out, "pack.json"), "utf8"));
    expect(pack.backbones.tiny).toEqual({ folder: "backbones/tiny", range: [0, 1], layer: "tiny_conv2" });
    expect(pack.heads.student).toEqual(DEFAULT_STUDENT_CONFIG.head);
    expect(pack.heads.teacher).toEqual(DEFAULT_STUDENT_CONFIG.teacher.head);
    expect((await readdir(join(out, "backbones", "tiny"))).sort()).toEqual(
      (await readdir(backbone.location)).filter((f) => f === "model.json" || f.endsWith(".bin")).sort(),
    );
  });
});
