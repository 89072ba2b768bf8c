/** `PIFU_ADMIN_TOKEN=T npm run promote -- --api URL --version V --channel stable` (or `--rollback`). */

import { runMain } from "@pifu/core/cli";
import { Command, Option } from "commander";
import { CliError, tokenFrom, warnIfPlainHttp } from "./api-client.js";
import { type ChannelMove, promote, rollback } from "./publish-lib.js";

const program = new Command("promote")
  .description("Move a release channel to a published model version, or roll it back to the previous one.")
  .requiredOption("--api <url>", "API base URL, e.g. http://127.0.0.1:8787")
  .option(
    "--token <token>",
    "admin bearer token; better set PIFU_ADMIN_TOKEN, an argument shows in ps and shell history",
  )
  .option("--version <version>", "published version to serve on the channel")
  .addOption(new Option("--channel <channel>", "release channel").choices(["stable", "beta"]).makeOptionMandatory())
  .option("--rollback", "undo the channel's latest promote instead")
  .action((opts: { api: string; token?: string; version?: string; channel: "stable" | "beta"; rollback?: boolean }) =>
    runMain("promote", async () => {
      warnIfPlainHttp(opts.api);
      const token = tokenFrom(opts.token);
      let move: ChannelMove;
      if (opts.rollback) {
        move = await rollback({ api: opts.api, token, channel: opts.channel });
      } else {
        if (!opts.version) throw new CliError("--version is required (or pass --rollback)");
        move = await promote({ api: opts.api, token, version: opts.version, channel: opts.channel });
      }
      console.log(`${move.channel} now serves ${move.version} (was ${move.previousVersion ?? "none"})`);
    }),
  );

await program.parseAsync();
