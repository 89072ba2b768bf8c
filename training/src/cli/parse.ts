/** Flag value parsers for the commander CLIs: a clear error naming the flag instead of NaN. */
import { readFile } from "node:fs/promises";
import { FLIP_VARIANTS, type FlipVariant, TestTimeAugmentationSchema } from "@pifu/core";
import { Option } from "commander";
import { BACKEND_NAMES } from "../backend/index.js";
import { UNSURE_SCORES } from "../calibrate/unsure.js";
import { teacherTap } from "../student/data.js";

export const num = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got "${value}"`);
  return n;
};

export const int = (name: string) => (value: string) => {
  const n = num(name)(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got "${value}"`);
  return n;
};

/** A count where 0 makes no sense, such as a batch size. */
export const positiveInt = (name: string) => (value: string) => {
  const n = int(name)(value);
  if (n < 1) throw new Error(`--${name} must be at least 1, got ${n}`);
  return n;
};

/** "INDEX/COUNT": this process's share of a job split across COUNT processes, 0 ≤ INDEX < COUNT. */
export const shard = (name: string) => (value: string) => {
  const match = /^(\d+)\/(\d+)$/.exec(value);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || !(index < count))
    throw new Error(`--${name} must be INDEX/COUNT with 0 ≤ INDEX < COUNT (e.g. 0/2), got "${value}"`);
  return { index, count };
};

/** An input range "min,max" with min < max, e.g. "-1,1". */
export const range = (value: string): [number, number] => {
  const parts = value.split(",").map(Number);
  if (parts.length !== 2 || parts.some((p) => !Number.isFinite(p)) || (parts[0] as number) >= (parts[1] as number)) {
    throw new Error(`--range must be "min,max" with min < max, got "${value}"`);
  }
  return parts as [number, number];
};

/** A square model input side: an integer of at least 32 px (MobileNetV2 downsamples 32×). */
export const side = (name: string) => (value: string) => {
  const n = int(name)(value);
  if (n < 32) throw new Error(`--${name} must be at least 32 px, got ${n}`);
  return n;
};

/** A comma-separated list of the contract's flip views, e.g. "id,h,v,hv" (core test-time augmentation). */
export const flips = (name: string) => (value: string) => {
  const parsed = TestTimeAugmentationSchema.shape.flips.safeParse(value.split(",").map((flip) => flip.trim()));
  if (!parsed.success) {
    throw new Error(`--${name} must list distinct flips out of ${FLIP_VARIANTS.join(", ")}, got "${value}"`);
  }
  return parsed.data;
};

/** `--tta-flips`, shared by the CLIs that train a student head (`defaults`: the config's flips). */
export const ttaFlipsOption = (defaults: readonly FlipVariant[]) =>
  new Option(
    "--tta-flips <flips>",
    `flip views averaged at test time, as the card will ask the PWA to (default ${defaults.join(",")}; "id" for one plain pass)`,
  ).argParser(flips("tta-flips"));

/** `--unsure-score`, shared by the CLIs that make a student (`defaultScore`: the config's). */
export const unsureScoreOption = (defaultScore: string) =>
  new Option(
    "--unsure-score <s>",
    `unsure score; auto picks the best separator of val errors (default ${defaultScore})`,
  ).choices(["auto", ...UNSURE_SCORES]);

/** `--backend`, shared by the training CLIs. */
export const backendOption = () =>
  new Option("--backend <name>", "tfjs backend; auto tries node-gpu, node, then wasm").choices(
    BACKEND_NAMES as unknown as string[],
  );

/** The student's input side, as both the student and the OOD proxy CLIs take it. */
export const inputSizeOption = (defaultSize: number) =>
  new Option(
    "--input-size <px>",
    `square side photos are fed to the student at, as cached (default ${defaultSize})`,
  ).argParser(side("input-size"));

/** Teacher backbones by registry name, comma-separated, or "none" (each checked against the registry). */
export const teacherBackbones = (value: string): string[] => {
  if (value.trim() === "none") return [];
  const names = value.split(",").map((name) => name.trim());
  for (const name of names) teacherTap(name);
  return names;
};

/** `--teacher-backbone`, shared by the student and the OOD proxy CLIs (`defaults`: the config's). */
export const teacherBackboneOption = (defaults: readonly string[]) =>
  new Option(
    "--teacher-backbone <names>",
    `backbones whose pooled features the teachers add beside the student's, comma-separated registry names, or "none" (default ${defaults.join(",") || "none"})`,
  ).argParser(teacherBackbones);

/**
 * `--config FILE`: a JSON object whose fields are all among `known`. An unknown field (a typo, a
 * renamed one) is refused, not ignored; malformed JSON names the file.
 */
export async function readConfigFile<T>(path: string, known: readonly string[]): Promise<Partial<T>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new Error(`--config ${path}: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new Error(`--config ${path}: expected a JSON object of config fields`);
  const unknown = Object.keys(parsed).filter((key) => !known.includes(key));
  if (unknown.length > 0)
    throw new Error(`--config ${path}: unknown field(s) ${unknown.join(", ")}; known: ${known.join(", ")}`);
  return parsed as Partial<T>;
}
