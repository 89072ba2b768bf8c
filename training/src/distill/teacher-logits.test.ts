import { mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256Hex } from "@pifu/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeSyntheticSet } from "../testing/fixtures.js";
import { writeTeacherLogits } from "../testing/teacher-logits.js";
import {
  checkTrainCoverage,
  externalKdTargets,
  readTeacherLogits,
  TeacherLogitsError,
  teacherLogitsBin,
} from "./teacher-logits.js";

let dir: string;
const CLASSES = ["eczema", "nevus", "warts"];
const IDS = ["p0", "p1", "p2", "p3"];

/** Distinct logits: view v, photo i, class c → 100·v + 10·i + c. */
async function pair(name: string, views: ("id" | "h")[] = ["id", "h"]): Promise<string> {
  const path = join(dir, `${name}.json`);
  await writeTeacherLogits(path, { views, ids: IDS, classes: CLASSES, logit: (v, i, c) => 100 * v + 10 * i + c });
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pifu-teacher-logits-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("teacher logits computed elsewhere", () => {
  it("reads a pair and records the .bin's sha256", async () => {
    const path = await pair("good");
    const teacher = await readTeacherLogits(path);
    expect(teacher.index.models).toEqual(["a", "b"]);
    expect([...teacher.logits.keys()]).toEqual(["id", "h"]);
    expect(Array.from(teacher.logits.get("h")?.subarray(3, 6) ?? [])).toEqual([110, 111, 112]);
    expect(teacher.binSha256).toBe(await sha256Hex(await readFile(teacherLogitsBin(path))));
  });

  it("gives each train photo its own row, by id, on the run's classes in the run's order, all classes in the mask", async () => {
    const teacher = await readTeacherLogits(await pair("rows"));
    const kd = externalKdTargets(teacher, ["p2", "p0"], ["warts", "eczema"], { temperature: 3, alpha: 0.5 });
    expect(Array.from(kd.teacherLogits.get("id") ?? [])).toEqual([22, 20, 2, 0]);
    expect(Array.from(kd.teacherLogits.get("h") ?? [])).toEqual([122, 120, 102, 100]);
    expect(Array.from(kd.mask)).toEqual([1, 1, 1, 1]);
    expect(kd).toMatchObject({ temperature: 3, alpha: 0.5 });
  });

  it("refuses a run whose photos or classes the file lacks, naming them", async () => {
    const teacher = await readTeacherLogits(await pair("lacking"));
    const kd = { temperature: 4, alpha: 1 };
    expect(() => externalKdTargets(teacher, ["p1", "q9"], CLASSES, kd)).toThrow(
      /has no logits for 1 of the 2 train photos \(q9\); compute them on this train folder/,
    );
    expect(() => externalKdTargets(teacher, ["p1"], ["eczema", "psoriasis"], kd)).toThrow(
      /has no logits for the classes psoriasis/,
    );
    expect(() => externalKdTargets(teacher, ["p1", "p1"], CLASSES, kd)).toThrow(/two photos with the same file name/);
  });

  it("checks a train folder before caching: a decodable photo or a class the file lacks is refused, an undecodable photo is not", async () => {
    const train = join(dir, "train-folder");
    await writeSyntheticSet(train, { classes: ["eczema", "nevus"], perClass: [2, 2], broken: true });
    const covering = async (name: string, ids: string[], classes: string[]) => {
      const path = join(dir, `${name}.json`);
      await writeTeacherLogits(path, { views: ["id"], ids, classes, logit: () => 0 });
      return readTeacherLogits(path);
    };
    const everyPhoto = ["eczema-0", "eczema-1", "nevus-0", "nevus-1"];
    // corrupt.jpg and truncated.jpg fail to decode, so the run would skip them: not missing.
    await expect(checkTrainCoverage(await covering("covers", everyPhoto, CLASSES), train)).resolves.toBeUndefined();
    await expect(
      checkTrainCoverage(await covering("one-short", everyPhoto.slice(0, 3), CLASSES), train),
    ).rejects.toThrow(/one-short\.json has no logits for 1 of the 4 train photos \(nevus-1\)/);
    await expect(
      checkTrainCoverage(await covering("no-nevus", everyPhoto, ["eczema", "warts"]), train),
    ).rejects.toThrow(/no-nevus\.json has no logits for the classes nevus/);
  });

  it("refuses a missing, cut-short, non-finite or inconsistent pair with a clear message", async () => {
    const expectRefusal = (path: string, message: RegExp) =>
      expect(readTeacherLogits(path)).rejects.toSatisfy(
        (error: Error) => error instanceof TeacherLogitsError && message.test(error.message),
      );
    await expectRefusal(join(dir, "none.json"), /cannot read .*none\.json: ENOENT/);
    await expectRefusal(teacherLogitsBin(await pair("bin")), /give the \.json of a teacher-logits pair/);

    const short = await pair("short");
    await truncate(teacherLogitsBin(short), 40);
    await expectRefusal(
      short,
      /short\.bin holds 40 bytes; its \.json's shape \[2, 4, 3\] needs 96 \(a copy cut short\?\)/,
    );

    const nan = join(dir, "nan.json");
    await writeTeacherLogits(nan, {
      views: ["id"],
      ids: IDS,
      classes: CLASSES,
      logit: (_, i) => (i === 2 ? Number.NaN : 0),
    });
    await expectRefusal(nan, /nan\.bin: value 6 is NaN, not a finite logit/);

    const noId = await pair("no-id", ["h"]);
    await expectRefusal(noId, /views: views must include "id"/);

    const wrongShape = await pair("shape");
    const index = JSON.parse(await readFile(wrongShape, "utf8"));
    await writeFile(wrongShape, JSON.stringify({ ...index, shape: [2, 5, 3] }));
    await expectRefusal(wrongShape, /shape\[1\] must be the number of photo ids/);

    await writeFile(wrongShape, JSON.stringify({ ...index, classes: ["eczema", "nevus", "moles"] }));
    await expectRefusal(wrongShape, /classes\.2: /);

    await writeFile(wrongShape, "{ not json");
    await expectRefusal(wrongShape, /shape\.json is not JSON/);
  });
});
