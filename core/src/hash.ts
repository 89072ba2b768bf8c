/** Bytes as lower-case hex, two digits each. */
export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return Array.from(view, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** SHA-256 as lower-case hex through WebCrypto, which Node 20, browsers and Workers all provide. */
export async function sha256Hex(bytes: ArrayBuffer | Uint8Array): Promise<string> {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return toHex(await crypto.subtle.digest("SHA-256", view as Uint8Array<ArrayBuffer>));
}

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;
