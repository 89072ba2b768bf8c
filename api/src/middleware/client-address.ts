/**
 * The part of a client address the rate limit counts by. An IPv4 address is one client. An IPv6
 * client usually holds a whole /64 and can change addresses within it at will, so IPv6 counts by its
 * first 64 bits; an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is its IPv4 address.
 */

/** The 8 groups of an IPv6 address (with "::" expanded and a dotted IPv4 tail read), or undefined if it is not one. */
function ipv6Groups(address: string): number[] | undefined {
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  // A dotted IPv4 part can only be the address's last 32 bits: the end of its last half.
  const parse = (part: string, endsAddress: boolean): number[] | undefined => {
    if (part === "") return [];
    const groups: number[] = [];
    const pieces = part.split(":");
    for (const [i, piece] of pieces.entries()) {
      if (endsAddress && i === pieces.length - 1 && piece.includes(".")) {
        const v4 = ipv4Bytes(piece);
        if (!v4) return undefined;
        groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) {
        groups.push(Number.parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return groups;
  };
  const head = parse(halves[0] ?? "", halves.length === 1);
  const tail = halves.length === 2 ? parse(halves[1] ?? "", true) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  return [...head, ...Array<number>(missing).fill(0), ...tail];
}

function ipv4Bytes(address: string): number[] | undefined {
  const parts = address.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.map(Number);
}

/** "203.0.113.7" stays as it is; "2001:db8:0:1::42" becomes "2001:db8:0:1::/64"; anything else is kept, trimmed and lower-cased. */
export function rateLimitSubject(address: string): string {
  const trimmed = address.trim().toLowerCase();
  if (!trimmed.includes(":")) return trimmed;
  const groups = ipv6Groups(trimmed.split("%")[0] ?? "");
  if (!groups) return trimmed;
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (mapped) return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join(".");
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(":")}::/64`;
}
