/**
 * Model files as R2 holds them, checked against a card without holding their bytes: R2 keeps the
 * sha256 it verified when the object was written (uploads pass it), and an object written without
 * one is hashed as it streams by.
 */
import { type StoredFile, toHex } from "@pifu/core";

async function streamedSha256(bucket: R2Bucket, key: string): Promise<string> {
  const object = await bucket.get(key);
  if (!object) throw new Error(`${key} disappeared from storage while being checked`);
  // workerd's crypto.DigestStream; the Node types of `crypto` in this project lack it.
  const digest = new (crypto as unknown as { DigestStream: typeof DigestStream }).DigestStream("SHA-256");
  await object.body.pipeTo(digest);
  return toHex(await digest.digest);
}

/** The object at `key` as core's fileProblem takes it, or undefined when there is none. */
export async function storedObject(bucket: R2Bucket, key: string): Promise<StoredFile | undefined> {
  const head = await bucket.head(key);
  if (!head) return undefined;
  const checksum = head.checksums.sha256;
  return { size: head.size, sha256: async () => (checksum ? toHex(checksum) : streamedSha256(bucket, key)) };
}
