/** `PIFU_ADMIN_TOKEN=T npm run publish-model -- --api URL --model DIR [--channel beta]` */

import { runMain } from "@pifu/core/cli";
import { Command, Option } from "commander";
import { tokenFrom, warnIfPlainHttp } from "./api-client.js";
import { publishModelDir } from "./publish-lib.js";

const program = new Command("publish-model")
  .description(
    "Upload a model folder made by the training export (model.json, weight shards, model-card.json) to the pifu API, " +
      "then verify it by downloading every file back and checking its sha256.",
  )
  .requiredOption("--api <url>", "API base URL, e.g. http://127.0.0.1:8787")
  .option(
    "--token <token>",
    "admin bearer token; better set PIFU_ADMIN_TOKEN, an argument shows in ps and shell history",
  )
  .requiredOption("--model <dir>", "model folder to publish")
  .addOption(new Option("--channel <channel>", "also promote it to this channel").choices(["stable", "beta"]))
  .action((opts: { api: string; token?: string; model: string; channel?: "stable" | "beta" }) =>
    runMain("publish-model", async () => {
      warnIfPlainHttp(opts.api);
      const card = await publishModelDir({
        api: opts.api,
        token: tokenFrom(opts.token),
        dir: opts.model,
        channel: opts.channel,
        log: (message) => console.log(message),
      });
      console.log(`done: ${card.name} ${card.version}`);
    }),
  );

await program.parseAsync();
