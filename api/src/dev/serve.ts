/** `npx tsx api/src/dev/serve.ts [--port 8787] [--persist DIR]`: runs the API locally until Ctrl-C. */
import { parseArgs } from "node:util";
import { startLocalApi } from "./local-api.js";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8787" },
    persist: { type: "string", default: ".wrangler/pifu-local" },
  },
});
const api = await startLocalApi({ port: Number(values.port), persistDir: values.persist });
console.log(`pifu API at ${api.url} (data in ${values.persist}; admin token ${api.adminToken}); Ctrl-C stops it`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  // Prepended: wrangler registers exit handlers of its own that would otherwise exit first.
  process.prependOnceListener(signal, () => {
    void api.stop().then(() => process.exit(0));
  });
}
