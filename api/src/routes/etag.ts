/** Strong ETags and If-None-Match matching (RFC 9110: weak comparison, lists, "*"). */
export function strongEtag(value: string): string {
  return `"${value}"`;
}

export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = etag.replace(/^"|"$/g, "");
  return header.split(",").some((candidate) => {
    const tag = candidate.trim().replace(/^W\//, "");
    return tag === "*" || tag === etag || tag === bare;
  });
}
