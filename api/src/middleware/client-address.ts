/**
 * The part of a client address the rate limit counts by. An IPv4 address is one client. An IPv6
 * client usually holds a whole /64 and can change addresses within it at will, so IPv6 counts by its
 * first 64 bits; an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is its IPv4 address.
 */
import { convertIPv4BinaryToString, convertIPv6ToBinary, distinctRemoteAddr } from "hono/utils/ipaddr";

// hono's helpers do not validate ("12345::" and "1::2::3" come out as numbers, "1:2:3" throws) and
// misread a dotted tail below x.1.0.0 ("::ffff:0.0.0.1"), so the WHATWG URL parser that Workers and
// Node ship first checks the address and rewrites it in hex; the character check leaves a URL no
// room to read anything but the host ("1::]@example.com/[").
function canonicalIPv6(address: string): string | undefined {
  if (!/^[0-9a-f:.]+$/.test(address)) return undefined;
  try {
    return new URL(`http://[${address}]`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

/** "203.0.113.7" stays as it is; "2001:db8:0:1::42" becomes "2001:db8:0:1::/64"; anything else is kept, trimmed and lower-cased. */
export function rateLimitSubject(address: string): string {
  const trimmed = address.trim().toLowerCase();
  if (distinctRemoteAddr(trimmed) !== "IPv6") return trimmed;
  const canonical = canonicalIPv6(trimmed.split("%")[0] ?? "");
  if (canonical === undefined) return trimmed;
  const bits = convertIPv6ToBinary(canonical);
  if (bits >> 32n === 0xffffn) return convertIPv4BinaryToString(bits & 0xffffffffn);
  const prefix = [3, 2, 1, 0].map((i) => ((bits >> BigInt(64 + 16 * i)) & 0xffffn).toString(16));
  return `${prefix.join(":")}::/64`;
}
