/** R2 layout of model files: one immutable object per version and file name. */
export function fileKey(version: string, name: string): string {
  return `models/${version}/${name}`;
}

export function contentTypeFor(name: string): string {
  if (name.endsWith(".json")) return "application/json";
  return "application/octet-stream";
}
