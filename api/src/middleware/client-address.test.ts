import { describe, expect, it } from "vitest";
import { rateLimitSubject } from "./client-address.js";

describe("rateLimitSubject", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    ["2001:db8:0:1::42", "2001:db8:0:1::/64"],
    ["2001:0DB8:0000:0001:aaaa:bbbb:cccc:dddd", "2001:db8:0:1::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["::", "0:0:0:0::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    ["2001:db8:1:2:3:4:192.0.2.1", "2001:db8:1:2::/64"],
    ["::ffff:198.51.100.9", "198.51.100.9"],
    ["::FFFF:c633:6409", "198.51.100.9"],
    ["0:0:0:0:0:ffff:198.51.100.9", "198.51.100.9"],
    ["2001:db8:1:2::192.0.2.1", "2001:db8:1:2::/64"],
    [" 2001:DB8::1\t", "2001:db8:0:0::/64"],
    ["::ffff:0.0.0.1", "0.0.0.1"],
    ["::ffff:0:1", "0.0.0.1"],
    ["1:2:3:4:5:6:0.0.0.1", "1:2:3:4::/64"],
    ["::1.2.3.4", "0:0:0:0::/64"],
  ])("%s counts as %s", (address, subject) => {
    expect(rateLimitSubject(address)).toBe(subject);
  });

  it("puts every address of one /64 together and keeps other /64s apart", () => {
    const subjects = ["2001:db8:0:1::1", "2001:db8:0:1:ffff:ffff:ffff:ffff", "2001:db8::1:abcd:0:0:1"].map(
      rateLimitSubject,
    );
    expect(new Set(subjects).size).toBe(1);
    expect(rateLimitSubject("2001:db8:0:2::1")).not.toBe(subjects[0]);
    expect(rateLimitSubject("fe80::1%eth0")).toBe(rateLimitSubject("FE80::2%wlan0"));
    expect(rateLimitSubject("fe80:0:0:1::1")).not.toBe(rateLimitSubject("fe80::1"));
  });

  it.each([
    "unknown",
    "1:2:3",
    "1::2::3",
    "1:2:3:4:5:6:7:8:9",
    "12345::",
    "::ffff:300.1.1.1",
    "1.2.3.4::",
    "1.2.3.4::5",
    "1:1.2.3.4::",
    "::1.2.3.4:5",
    "1:::2",
    ":1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:",
    "1::2:3:4:5:6:7:8",
    "g::1",
    "::ffff:01.2.3.4",
    "::ffff:1..2.3",
    "[::1]",
    "1::]@example.com/[",
  ])("keeps %s, which is no address, as it is", (text) => {
    expect(rateLimitSubject(text)).toBe(text);
  });
});
