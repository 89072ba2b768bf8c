/**
 * What `npm start` does with the model it embeds: the API must know that version (feedback for a version
 * it does not know waits), and the stable channel must serve it or something newer.
 */
import { compareVersions } from "@pifu/core";
import { apiClient } from "../../api/src/cli/api-client.js";
import {
  differentCardError,
  promote,
  publishedCard,
  publishModelDir,
  readModelCard,
  sameCard,
  servedOn,
} from "../../api/src/cli/publish-lib.js";

/**
 * Publishes the folder's version unless the API has it, and moves stable to it unless stable already
 * serves it or a newer version. A version published with another card is refused, as publish-model
 * refuses it: versions never change.
 */
export async function ensureOnStable(
  api: string,
  token: string,
  modelDir: string,
  log: (message: string) => void,
): Promise<void> {
  const card = await readModelCard(modelDir);
  const client = apiClient(api, token);
  const published = await publishedCard(client, card.version);
  if (published === null) {
    await publishModelDir({ api, token, dir: modelDir, card, log });
  } else if (!sameCard(published, card)) {
    throw differentCardError(card.version);
  }

  const served = await servedOn(client, "stable");
  if (served !== null && compareVersions(served, card.version) >= 0) {
    log(`stable already serves model ${served}`);
    return;
  }
  await promote({ api, token, version: card.version, channel: "stable" });
  log(`stable now serves model ${card.version}`);
}
