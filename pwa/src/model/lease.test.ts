import { describe, expect, it } from "vitest";
import { Lease, ReleasedError } from "./lease.js";

describe("Lease", () => {
  it("releases once, after the last holder ends, whether its work succeeded or threw", async () => {
    let releases = 0;
    const lease = new Lease(() => releases++, "the thing");
    let finish: (value: string) => void = () => undefined;
    const first = lease.hold(
      () =>
        new Promise<string>((resolve) => {
          finish = resolve;
        }),
    );
    const second = lease.hold(async () => {
      throw new Error("this check failed");
    });
    lease.end();
    await expect(second).rejects.toThrow("this check failed");
    expect(releases).toBe(0);
    finish("done");
    await expect(first).resolves.toBe("done");
    expect(releases).toBe(1);
    lease.end();
    expect(releases).toBe(1);
    await expect(lease.hold(async () => "late")).rejects.toThrow(ReleasedError);
    await expect(lease.hold(async () => "late")).rejects.toThrow("the thing was replaced or closed; try again");
  });

  it("releases at once when nothing holds it", () => {
    let releases = 0;
    new Lease(() => releases++, "the thing").end();
    expect(releases).toBe(1);
  });
});
