import { startLocalApi } from "../api/src/dev/local-api.ts";
const apis = await Promise.all([startLocalApi(), startLocalApi(), startLocalApi()]);
for (const api of apis) {
  const r = await fetch(api.url + "/v1/models");
  console.log(api.url, r.status, await r.text());
}
await Promise.all(apis.map((a) => a.stop()));
console.log("all stopped");
