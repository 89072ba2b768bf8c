/**
 * R2 layout of model files: one object per version, sha256 and file name. Keyed by content, an
 * object only ever holds the bytes its key names, so an upload for a card that was replaced meanwhile
 * cannot overwrite a file of the new card, and what `complete` verified is what is served.
 */
export function fileKey(version: string, file: { name: string; sha256: string }): string {
  return `models/${version}/${file.sha256}/${file.name}`;
}

/** Where files were stored before keys held their sha256 (local data written by earlier versions). */
export function legacyFileKey(version: string, name: string): string {
  return `models/${version}/${name}`;
}

export function contentTypeFor(name: string): string {
  if (name.endsWith(".json")) return "application/json";
  return "application/octet-stream";
}
