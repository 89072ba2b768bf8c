import { describe, expect, it } from "vitest";
import { plainHttpWarning } from "./api-client.js";

describe("plainHttpWarning", () => {
  it.each([
    "http://127.0.0.1:8787",
    "http://localhost:8787/",
    "http://[::1]:8787",
    "https://api.example.org",
  ])("stays quiet for %s", (api) => {
    expect(plainHttpWarning(api)).toBeUndefined();
  });

  it.each([
    ["http://api.example.org", "api.example.org"],
    ["http://192.0.2.10:8787", "192.0.2.10:8787"],
    ["http://127.0.0.2:8787", "127.0.0.2:8787"],
  ])("warns for %s in one line", (api, host) => {
    const warning = plainHttpWarning(api);
    expect(warning).toContain(`admin token goes to ${host} over plain http`);
    expect(warning).not.toContain("\n");
  });
});
