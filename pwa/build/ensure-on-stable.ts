/**
 * What `npm start` does with the model it embeds: the API must know that version (feedback for a version
 * it does not know waits), and the stable channel must serve it or something newer.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { compareVersions, type ModelCard, ModelCardSchema } from "@pifu/core";
import { CliError } from "../../api/src/cli/api-client.js";
import { promote, publishModelDir } from "../../api/src/cli/publish-lib.js";

/** Whether two cards list the same files with the same bytes. */
function sameFiles(a: ModelCard, b: ModelCard): boolean {
  const key = (card: ModelCard) =>
    card.files
      .map((file) => `${file.name}:${file.sha256}`)
      .sort()
      .join("\n");
  return key(a) === key(b);
}

/**
 * Publishes the folder's version unless the API has it, and moves stable to it unless stable already
 * serves it or a newer version. A version published with other files is refused: versions never change.
 */
export async function ensureOnStable(
  api: string,
  token: string,
  modelDir: string,
  log: (message: string) => void,
): Promise<void> {
  const card = ModelCardSchema.parse(JSON.parse(await readFile(join(modelDir, "model-card.json"), "utf8")));
  const published = await fetch(`${api}/v1/models/${card.version}/card`);
  if (published.status === 404) {
    await publishModelDir({ api, token, dir: modelDir, log });
  } else if (!published.ok) {
    throw new CliError(`could not ask the API for model ${card.version}: HTTP ${published.status}`);
  } else if (!sameFiles(ModelCardSchema.parse(await published.json()), card)) {
    throw new CliError(
      `the API already has a model ${card.version} with other files than ${modelDir}; give the folder's card a new version`,
    );
  }

  const stable = await fetch(`${api}/v1/channels/stable`);
  if (stable.ok) {
    const { version } = (await stable.json()) as { version: string };
    if (compareVersions(version, card.version) >= 0) {
      log(`stable already serves model ${version}`);
      return;
    }
  } else if (stable.status !== 404) {
    throw new CliError(`could not ask the API what stable serves: HTTP ${stable.status}`);
  }
  await promote({ api, token, version: card.version, channel: "stable" });
  log(`stable now serves model ${card.version}`);
}
