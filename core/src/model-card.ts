/** The model card: what a published model is, how it was made and how to use it. */
import { z } from "zod";
import { SHA256_PATTERN, sha256Hex } from "./hash.js";
import { CLASS_ID_PATTERN } from "./labels.js";
import { UnsureRuleSchema } from "./postprocess.js";
import { PreprocessSpecSchema } from "./preprocess.js";
import { TestTimeAugmentationSchema } from "./test-time.js";

export const MODEL_CARD_SCHEMA_VERSION = 1;

/** Semantic version without build metadata, e.g. 1.2.0 or 1.3.0-beta.1. */
export const SEMVER_PATTERN = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$/;
/** File names in a model folder: no separators, no leading dot, so they are safe as R2 keys and URLs. */
export const MODEL_FILE_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

const Probability = z.number().min(0).max(1);

export const ClassMetricsSchema = z.strictObject({
  precision: Probability,
  recall: Probability,
  f1: Probability,
  support: z.number().int().min(0),
});

export const EvaluationMetricsSchema = z.strictObject({
  accuracy: Probability,
  macroF1: Probability,
  weightedF1: Probability,
  top3Accuracy: Probability,
  ece: Probability,
  support: z.number().int().min(0),
  perClass: z.record(z.string(), ClassMetricsSchema),
  perSource: z
    .record(
      z.string(),
      z.strictObject({ accuracy: Probability, macroF1: Probability, support: z.number().int().min(0) }),
    )
    .optional(),
});
export type EvaluationMetrics = z.infer<typeof EvaluationMetricsSchema>;

/** A file the API stores is held in a Worker's memory while it is checked: 64 MiB at most (tfjs shards are 4 MB). */
export const MAX_MODEL_FILE_BYTES = 64 * 1024 * 1024;
export const MAX_MODEL_FILES = 256;

export const ModelFileSchema = z.strictObject({
  name: z.string().regex(MODEL_FILE_NAME_PATTERN, "file name must be a plain name without path separators"),
  sha256: z.string().regex(SHA256_PATTERN, "sha256 must be 64 lower-case hex digits"),
  size: z
    .number()
    .int()
    .min(0)
    .max(MAX_MODEL_FILE_BYTES, `a model file may be at most ${MAX_MODEL_FILE_BYTES} bytes (64 MiB)`),
});
export type ModelFile = z.infer<typeof ModelFileSchema>;

export const ModelCardSchema = z
  .strictObject({
    schemaVersion: z.literal(MODEL_CARD_SCHEMA_VERSION),
    name: z.string().min(1).max(100),
    version: z.string().regex(SEMVER_PATTERN, "version must be semver, e.g. 1.0.0"),
    /** Day the model was made, YYYY-MM-DD. */
    date: z.iso.date(),
    description: z.string().max(2000).optional(),
    intendedUse: z.string().max(2000),
    classes: z
      .array(z.strictObject({ id: z.string().regex(CLASS_ID_PATTERN), en: z.string().min(1), zh: z.string().min(1) }))
      .min(2),
    preprocessing: PreprocessSpecSchema,
    /** Absent: each photo runs once, unflipped. Calibration and the unsure rule assume these views. */
    testTimeAugmentation: TestTimeAugmentationSchema.optional(),
    backbone: z.strictObject({
      name: z.string().min(1),
      source: z.string().min(1),
      sha256: z.string().regex(SHA256_PATTERN),
    }),
    training: z.strictObject({
      seed: z.number().int(),
      config: z.record(z.string(), z.unknown()),
      data: z.string().optional(),
    }),
    metrics: z.strictObject({ val: EvaluationMetricsSchema }).catchall(EvaluationMetricsSchema),
    calibration: z.strictObject({
      temperature: z.number().positive(),
      eceBefore: Probability,
      eceAfter: Probability,
    }),
    unsure: UnsureRuleSchema,
    quantization: z.enum(["float32", "float16", "uint8"]),
    /** The model's entry file, one of `files`. */
    modelFile: z.string().regex(MODEL_FILE_NAME_PATTERN),
    files: z.array(ModelFileSchema).min(1).max(MAX_MODEL_FILES, `a model may have at most ${MAX_MODEL_FILES} files`),
  })
  .superRefine((card, ctx) => {
    const ids = card.classes.map((c) => c.id);
    if (new Set(ids).size !== ids.length)
      ctx.addIssue({ code: "custom", path: ["classes"], message: "class ids must be unique" });
    const names = card.files.map((f) => f.name);
    if (new Set(names).size !== names.length)
      ctx.addIssue({ code: "custom", path: ["files"], message: "file names must be unique" });
    if (names.includes("model-card.json")) {
      ctx.addIssue({ code: "custom", path: ["files"], message: "the card must not list itself" });
    }
    if (!names.includes(card.modelFile)) {
      ctx.addIssue({ code: "custom", path: ["modelFile"], message: `modelFile ${card.modelFile} is not among files` });
    }
  });
export type ModelCard = z.infer<typeof ModelCardSchema>;

export interface FileProblem {
  name: string;
  problem: "missing" | "size" | "sha256";
  message: string;
}

/** What is known of a stored file: its size, and its sha256 (asked for only when the size matches). */
export interface StoredFile {
  size: number;
  sha256: () => Promise<string>;
}

/** What is wrong with a stored file against the card's entry for it; undefined when it matches. */
export async function fileProblem(file: ModelFile, stored: StoredFile | undefined): Promise<FileProblem | undefined> {
  if (!stored) return { name: file.name, problem: "missing", message: `${file.name} is missing` };
  if (stored.size !== file.size) {
    return {
      name: file.name,
      problem: "size",
      message: `${file.name} is ${stored.size} bytes, the card says ${file.size}`,
    };
  }
  const actual = await stored.sha256();
  if (actual === file.sha256) return undefined;
  return {
    name: file.name,
    problem: "sha256",
    message: `${file.name} has sha256 ${actual}, the card says ${file.sha256}`,
  };
}

/** A file held in memory, as fileProblem takes it. */
export function storedBytes(bytes: Uint8Array | undefined): StoredFile | undefined {
  return bytes && { size: bytes.byteLength, sha256: () => sha256Hex(bytes) };
}

/**
 * Checks every file the card lists, in the card's order, against what `stored` returns for it
 * (undefined for a missing file). Returns the problems found; an empty list means every file matches.
 */
export async function checkStoredFiles(
  card: Pick<ModelCard, "files">,
  stored: (file: ModelFile) => Promise<StoredFile | undefined>,
): Promise<FileProblem[]> {
  const problems: FileProblem[] = [];
  for (const file of card.files) {
    const problem = await fileProblem(file, await stored(file));
    if (problem) problems.push(problem);
  }
  return problems;
}

/**
 * Checks every file the card lists against its bytes. `read` returns undefined for a missing file.
 * Returns the problems found; an empty list means every file matches.
 */
export function checkCardFiles(
  card: Pick<ModelCard, "files">,
  read: (name: string) => Promise<Uint8Array | undefined>,
): Promise<FileProblem[]> {
  return checkStoredFiles(card, async (file) => storedBytes(await read(file.name)));
}

/** Parses a card and checks its files; throws with every problem listed. */
export async function verifyModelCard(
  raw: unknown,
  read: (name: string) => Promise<Uint8Array | undefined>,
): Promise<ModelCard> {
  const card = ModelCardSchema.parse(raw);
  const problems = await checkCardFiles(card, read);
  if (problems.length > 0)
    throw new Error(`model files do not match the card: ${problems.map((p) => p.message).join("; ")}`);
  return card;
}

/** A version's numbers and pre-release identifiers; build metadata (after "+") is ignored. */
function parseVersion(version: string): { numbers: number[]; prerelease: string[] } {
  const withoutBuild = version.split("+", 1)[0] ?? "";
  const dash = withoutBuild.indexOf("-");
  const release = dash < 0 ? withoutBuild : withoutBuild.slice(0, dash);
  return {
    numbers: release.split(".").map(Number),
    prerelease: dash < 0 ? [] : withoutBuild.slice(dash + 1).split("."),
  };
}

/** semver §11.4: numeric identifiers compare numerically and sort before alphanumeric ones. */
function compareIdentifiers(a: string, b: string): number {
  const numeric = /^\d+$/;
  const aNumeric = numeric.test(a);
  const bNumeric = numeric.test(b);
  if (aNumeric && bNumeric) return Math.sign(Number(a) - Number(b));
  if (aNumeric !== bNumeric) return aNumeric ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compares two semver strings by precedence (semver §11): pre-releases sort before their release. */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.numbers[i] ?? 0) - (y.numbers[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (x.prerelease.length === 0 || y.prerelease.length === 0) {
    return Math.sign(y.prerelease.length - x.prerelease.length);
  }
  for (let i = 0; i < Math.min(x.prerelease.length, y.prerelease.length); i++) {
    const d = compareIdentifiers(x.prerelease[i] as string, y.prerelease[i] as string);
    if (d !== 0) return d;
  }
  return Math.sign(x.prerelease.length - y.prerelease.length);
}
