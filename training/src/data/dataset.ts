/**
 * Folder-per-class data sets: DIR/<class id>/<image>. Class order comes from, in turn: the caller
 * (e.g. val reuses train's classes), a labels file, the core skin8 order when every folder is a
 * skin8 class, else sorted folder names. An optional DIR/manifest.csv adds a `source` per image
 * (matched on `id` = file name without extension).
 */
import { type Dirent, existsSync } from "node:fs";
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { basename, extname, join, resolve } from "node:path";
import { CLASS_ID_PATTERN, SKIN8_CLASS_IDS } from "@pifu/core";
import { parseCsv } from "./csv.js";

export const IMAGE_EXTENSIONS = [".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff", ".avif", ".heic", ".heif"];

export interface DatasetItem {
  /** Absolute file path. */
  path: string;
  /** File name without extension (the manifest id). */
  id: string;
  /** Index into Dataset.classes. */
  label: number;
  classId: string;
  /** From manifest.csv, when present. */
  source?: string;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface Dataset {
  root: string;
  classes: string[];
  /** Where the class order came from. */
  classOrigin: "given" | "labels-file" | "skin8" | "sorted";
  items: DatasetItem[];
  /** Files left out at scan or decode time, with the reason; reported in the run. */
  skipped: SkippedFile[];
}

export interface ReadDatasetOptions {
  /** Fixed class order (e.g. train's, when reading val). Folders not in it are an error. */
  classes?: readonly string[];
  /** Where `classes` come from, as the error for a folder outside them says it (e.g. "the model card"). */
  classesFrom?: string;
  /** A text file with one class id per line. Defaults to DIR/labels.txt when that exists. */
  labelsFile?: string;
}

/** Reads a set whose folders must be skin8 class ids (the student's data), labelled by core's order. */
export const SKIN8_ONLY: ReadDatasetOptions = { classes: SKIN8_CLASS_IDS, classesFrom: "skin8" };

export class DatasetError extends Error {
  override name = "DatasetError";
}

async function readLabelsFile(path: string): Promise<string[]> {
  const lines = (await readFile(path, "utf8"))
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  const bad = lines.filter((l) => !CLASS_ID_PATTERN.test(l));
  if (bad.length) throw new DatasetError(`${path}: class ids must be lower_snake_case, got ${bad.join(", ")}`);
  if (new Set(lines).size !== lines.length) throw new DatasetError(`${path}: duplicate class ids`);
  return lines;
}

function chooseClasses(
  root: string,
  folders: string[],
  given: { classes: readonly string[]; from: string } | undefined,
  fromFile: { classes: string[]; path: string } | undefined,
): { classes: string[]; origin: Dataset["classOrigin"] } {
  const check = (classes: readonly string[], where: string) => {
    const unknown = folders.filter((f) => !classes.includes(f));
    if (unknown.length)
      throw new DatasetError(
        `folders ${unknown.join(", ")} in ${root} are not among the classes of ${where}: ${classes.join(", ")}`,
      );
  };
  if (given) {
    check(given.classes, given.from);
    return { classes: [...given.classes], origin: "given" };
  }
  if (fromFile) {
    check(fromFile.classes, fromFile.path);
    return { classes: fromFile.classes, origin: "labels-file" };
  }
  if (folders.every((f) => SKIN8_CLASS_IDS.includes(f))) {
    return { classes: SKIN8_CLASS_IDS.filter((id) => folders.includes(id)), origin: "skin8" };
  }
  return { classes: [...folders].sort(), origin: "sorted" };
}

async function readManifestSources(root: string): Promise<Map<string, string>> {
  const path = join(root, "manifest.csv");
  const sources = new Map<string, string>();
  if (!existsSync(path)) return sources;
  for (const row of parseCsv(await readFile(path, "utf8"))) {
    if (row.id && row.source) sources.set(row.id, row.source);
  }
  return sources;
}

/** What a folder entry is, following a symbolic link (folds and curated sets are often built from links). */
async function entryKind(dir: string, entry: Dirent): Promise<"file" | "directory" | "other" | "broken link"> {
  if (entry.isFile()) return "file";
  if (entry.isDirectory()) return "directory";
  if (!entry.isSymbolicLink()) return "other";
  try {
    const target = await stat(join(dir, entry.name));
    return target.isFile() ? "file" : target.isDirectory() ? "directory" : "other";
  } catch {
    return "broken link";
  }
}

/** A folder's entries not starting with ".", in name order. */
async function visibleEntries(folder: string): Promise<Dirent[]> {
  return (await readdir(folder, { withFileTypes: true }))
    .filter((entry) => !entry.name.startsWith("."))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Whether a folder entry is an image to read or a folder, else why it is skipped. */
async function imageEntry(folder: string, entry: Dirent): Promise<"image" | "directory" | { skip: string }> {
  const kind = await entryKind(folder, entry);
  if (kind === "directory") return "directory";
  if (kind !== "file") return { skip: kind === "broken link" ? "a link to nothing" : "not a regular file" };
  const extension = extname(entry.name).toLowerCase();
  if (!IMAGE_EXTENSIONS.includes(extension))
    return { skip: `unsupported file type "${extname(entry.name) || "(none)"}"` };
  return "image";
}

/** The class folders of a folder-per-class set, sorted: its sub-folders (or links to folders) not starting with ".". */
async function classFolders(root: string): Promise<string[]> {
  const folders: string[] = [];
  for (const entry of await visibleEntries(root)) {
    if ((await entryKind(root, entry)) === "directory") folders.push(entry.name);
  }
  return folders;
}

/** Lists a folder-per-class data set. Nothing is decoded yet; unsupported files are skipped here. */
export async function readDataset(dir: string, options: ReadDatasetOptions = {}): Promise<Dataset> {
  const root = resolve(dir);
  if (!existsSync(root) || !(await stat(root)).isDirectory()) throw new DatasetError(`${root} is not a folder`);
  const folders = await classFolders(root);
  if (folders.length === 0) throw new DatasetError(`${root} has no class folders (expected DIR/<class>/<image>)`);
  const labelsFile =
    options.labelsFile ?? (existsSync(join(root, "labels.txt")) ? join(root, "labels.txt") : undefined);
  const fromFile =
    labelsFile && !options.classes ? { classes: await readLabelsFile(labelsFile), path: labelsFile } : undefined;
  const given = options.classes && { classes: options.classes, from: options.classesFrom ?? "the given list" };
  const { classes, origin } = chooseClasses(root, folders, given, fromFile);
  const sources = await readManifestSources(root);

  const items: DatasetItem[] = [];
  const skipped: SkippedFile[] = [];
  for (const classId of folders) {
    const label = classes.indexOf(classId);
    const folder = join(root, classId);
    for (const file of await visibleEntries(folder)) {
      const path = join(folder, file.name);
      const found = await imageEntry(folder, file);
      if (found !== "image") {
        skipped.push({ path, reason: found === "directory" ? "not a regular file" : found.skip });
        continue;
      }
      const id = basename(file.name, extname(file.name));
      const source = sources.get(id);
      items.push(source === undefined ? { path, id, label, classId } : { path, id, label, classId, source });
    }
  }
  if (items.length === 0) throw new DatasetError(`${root} holds no images`);
  const present = new Set(items.map((item) => item.classId));
  const empty = folders.filter((folder) => !present.has(folder));
  if (empty.length > 0) {
    throw new DatasetError(
      `class folder(s) ${empty.join(", ")} in ${root} hold no images; add images or remove the folder`,
    );
  }
  return { root, classes, classOrigin: origin, items, skipped };
}

/**
 * Every image under a folder, at any depth and without classes (e.g. photos of other conditions for
 * `evaluate --ood`), in path order. Links are followed; a link to nothing, a file of another type or a
 * folder already walked (a link back up the tree) is listed in `skipped` instead of failing the walk.
 */
export async function listImageFiles(dir: string): Promise<{ paths: string[]; skipped: SkippedFile[] }> {
  const root = resolve(dir);
  if (!existsSync(root) || !(await stat(root)).isDirectory()) throw new DatasetError(`${root} is not a folder`);
  const paths: string[] = [];
  const skipped: SkippedFile[] = [];
  const walked = new Set<string>();
  const walk = async (folder: string): Promise<void> => {
    const real = await realpath(folder);
    if (walked.has(real)) {
      skipped.push({ path: folder, reason: "a folder already read (a link back into the tree)" });
      return;
    }
    walked.add(real);
    for (const entry of await visibleEntries(folder)) {
      const path = join(folder, entry.name);
      const found = await imageEntry(folder, entry);
      if (found === "directory") await walk(path);
      else if (found === "image") paths.push(path);
      else skipped.push({ path, reason: found.skip });
    }
  };
  await walk(root);
  return { paths, skipped };
}

/** Images per class, in class order. */
export function classCounts(items: readonly Pick<DatasetItem, "label">[], numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const item of items) counts[item.label] = (counts[item.label] ?? 0) + 1;
  return counts;
}
