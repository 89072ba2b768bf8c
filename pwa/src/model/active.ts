/**
 * Chooses the model to run: the downloaded version the settings name when it is newer than the
 * embedded default and still verifies and loads, else the newest other stored version that does,
 * else the embedded default. Follows the chosen channel to the version it serves, newer or older, only
 * after every file verified and the model loaded.
 */
import { compareVersions } from "@pifu/core";
import { fetchJson, HttpStatusError } from "../net.js";
import type { Settings } from "../settings.js";
import { type Classifier, loadClassifier } from "./classifier.js";
import {
  CARD_TIMEOUT_MS,
  downloadFiles,
  EMBEDDED_MODEL_DIR,
  fetchEmbeddedCard,
  fetchEmbeddedModel,
  type ModelFolder,
  parseCard,
  verifiedFolder,
} from "./sources.js";
import {
  deleteStoredModel,
  listStoredVersions,
  pruneStoredModels,
  readStoredModel,
  StoredModelInvalidError,
  storeAsActive,
  useEmbeddedAsActive,
} from "./store.js";

export interface ActiveModel {
  classifier: Classifier;
  source: "embedded" | "downloaded";
  /** Why stored models were passed over (and, when they can never load, deleted) at start. */
  discarded?: string;
}

/** The version settings should name for `model`: undefined for the embedded default. */
export function activeVersion(model: ActiveModel): string | undefined {
  return model.source === "downloaded" ? model.classifier.card.version : undefined;
}

/** The named version first, then the other stored ones newest first; only those newer than the default. */
async function candidateVersions(named: string | undefined, embeddedVersion: string): Promise<string[]> {
  let stored: string[] = [];
  try {
    stored = await listStoredVersions();
  } catch {
    // Storage unreadable: the named version alone is tried (and fails the same way).
  }
  const others = stored.filter((version) => version !== named).sort((a, b) => compareVersions(b, a));
  return [...(named ? [named] : []), ...others].filter((version) => compareVersions(version, embeddedVersion) > 0);
}

/** Deletes a stored version that can never run; a failure to delete only leaves it for the next start. */
async function forget(version: string): Promise<void> {
  await deleteStoredModel(version).catch(() => undefined);
}

/** Loads a stored version; undefined (with the reason in `problems`) when it cannot run. */
async function loadStored(version: string, problems: string[]): Promise<Classifier | undefined> {
  let folder: ModelFolder | undefined;
  try {
    folder = await readStoredModel(version);
  } catch (error) {
    problems.push(`model ${version}: ${(error as Error).message}`);
    if (error instanceof StoredModelInvalidError) await forget(version);
    return undefined;
  }
  if (!folder) {
    problems.push(`model ${version} is no longer stored`);
    return undefined;
  }
  try {
    return await loadClassifier(folder.card, folder.files);
  } catch (error) {
    // Its files match the card, yet tfjs cannot run it: it would fail the same way at every start.
    problems.push(`model ${version}: ${(error as Error).message}`);
    await forget(version);
    return undefined;
  }
}

export async function openActiveModel(namedVersion: string | undefined): Promise<ActiveModel> {
  const embedded = await fetchEmbeddedModel();
  const problems: string[] = [];
  const discarded = () => (problems.length > 0 ? problems.join("; ") : undefined);
  for (const version of await candidateVersions(namedVersion, embedded.card.version)) {
    const classifier = await loadStored(version, problems);
    if (classifier) return { classifier, source: "downloaded", discarded: discarded() };
  }
  return {
    classifier: await loadClassifier(embedded.card, embedded.files),
    source: "embedded",
    discarded: discarded(),
  };
}

/**
 * Deletes the stored versions `model` supersedes, by the rule storeAsActive prunes with too. Call only
 * once the settings naming `model` are saved.
 */
export async function pruneSuperseded(model: ActiveModel): Promise<void> {
  await pruneStoredModels(model.classifier.card.version, model.source === "downloaded");
}

export type UpdateResult =
  /**
   * `channelVersion`: the version the channel serves, the one in use or older (when the model in use is
   * the built-in default, newer than the channel's); absent when the channel has none.
   */
  | { kind: "none"; channelVersion?: string }
  /**
   * `switched`: the channel serves an older version than the one replaced (the user chose the other
   * channel, or this one was rolled back); `model` may then be the built-in default.
   */
  | { kind: "updated"; model: ActiveModel; switched: boolean }
  /**
   * `stage` "download": a file could not be fetched (offline, a dropped or stalled connection, a server
   * error); "check": a file did not match the card or the model did not load; "store": it could not be saved.
   */
  | { kind: "failed"; stage: "download" | "check" | "store"; version: string; error: unknown }
  /**
   * The settings named another channel than `channel`, the one checked, before the model it serves was
   * saved: nothing was saved (a check of the new channel would follow it instead).
   */
  | { kind: "channelChanged"; channel: Settings["channel"] };

/**
 * What following the channel asks of the model in use, `current`: nothing when it runs the channel's
 * version; else the channel's version, newer or older (a start never picks a stored version at or
 * below the built-in default, `embedded`, so for those it is the default itself). `embedded` counts
 * only when the channel's version is older than `current`.
 */
export function channelMove(channel: string, current: string, embedded: string): "none" | "download" | "embedded" {
  const order = compareVersions(channel, current);
  if (order === 0) return "none";
  if (order > 0) return "download";
  if (compareVersions(channel, embedded) > 0) return "download";
  return compareVersions(current, embedded) === 0 ? "none" : "embedded";
}

export interface UpdateOptions {
  /** How long the channel's card may take (sources.ts CARD_TIMEOUT_MS). */
  cardTimeoutMs?: number;
  /** How long a file download may go without a byte (sources.ts DOWNLOAD_IDLE_MS). */
  idleMs?: number;
  /** Where the built-in default is served (sources.ts EMBEDDED_MODEL_DIR), ending in a slash. */
  embeddedDir?: string;
}

/**
 * Asks the API for the card of the channel `latestSettings` name when this is called and, when it
 * serves another version than `currentVersion`, gets it (downloaded, or the built-in default), loads
 * it and saves it as the active model. `latestSettings` gives the settings to save with it, read at the
 * moment it is saved; if they name another channel by then, nothing is saved ("channelChanged"). Throws
 * when the card cannot be fetched (no connection, an error status, no answer within the time limit).
 */
export async function updateFromChannel(
  apiBase: string,
  currentVersion: string,
  latestSettings: () => Settings,
  options: UpdateOptions = {},
): Promise<UpdateResult> {
  const channel = latestSettings().channel;
  const url = `${apiBase}/v1/channels/${channel}`;
  let json: unknown;
  try {
    json = await fetchJson(url, { cache: "no-store", timeoutMs: options.cardTimeoutMs ?? CARD_TIMEOUT_MS });
  } catch (error) {
    if (error instanceof HttpStatusError && error.status === 404) return { kind: "none" };
    throw error;
  }
  const card = parseCard(json, url);
  const embeddedDir = options.embeddedDir ?? EMBEDDED_MODEL_DIR;
  const channelIsOlder = compareVersions(card.version, currentVersion) < 0;
  // Only a channel version older than the one in use needs the built-in card (channelMove); its files
  // are fetched only when the move is to it.
  const builtIn = channelIsOlder ? await fetchEmbeddedCard(embeddedDir) : undefined;
  const move = channelMove(card.version, currentVersion, builtIn?.version ?? currentVersion);
  if (move === "none") return { kind: "none", channelVersion: card.version };
  const changed = (): UpdateResult | undefined =>
    latestSettings().channel === channel ? undefined : { kind: "channelChanged", channel };
  const stale = changed();
  if (stale) return stale;
  const toBuiltIn = move === "embedded" && builtIn ? builtIn : undefined;
  const target = toBuiltIn ?? card;
  const version = target.version;
  const failed = (stage: "download" | "check" | "store", error: unknown): UpdateResult => ({
    kind: "failed",
    stage,
    version,
    error,
  });
  let files: Map<string, Uint8Array>;
  try {
    const base = toBuiltIn ? embeddedDir : `${apiBase}/v1/models/${encodeURIComponent(card.version)}/files/`;
    files = await downloadFiles(target, (name) => base + encodeURIComponent(name), options.idleMs);
  } catch (error) {
    return failed("download", error);
  }
  let folder: ModelFolder;
  let classifier: Classifier;
  try {
    folder = await verifiedFolder(target, files);
    classifier = await loadClassifier(folder.card, folder.files);
  } catch (error) {
    return failed("check", error);
  }
  const staleNow = changed();
  if (staleNow) {
    classifier.dispose();
    return staleNow;
  }
  try {
    const settings = latestSettings();
    if (toBuiltIn) await useEmbeddedAsActive(settings);
    else await storeAsActive(folder, settings, channelIsOlder);
  } catch (error) {
    classifier.dispose();
    return failed("store", error);
  }
  return {
    kind: "updated",
    model: { classifier, source: toBuiltIn ? "embedded" : "downloaded" },
    switched: channelIsOlder,
  };
}
