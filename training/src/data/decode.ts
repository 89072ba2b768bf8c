/** Image decoding with sharp: EXIF orientation applied, sRGB, 3 channels, 8 bits. */
import { readFile } from "node:fs/promises";
import type { RawImage } from "@pifu/core";
import sharp from "sharp";

export class DecodeError extends Error {
  override name = "DecodeError";
  constructor(
    readonly path: string,
    /** What went wrong, without the path. */
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/** "path: reason" for a photo that could not be used, without repeating the path a DecodeError already names. */
export function failureLine(path: string, error: unknown): string {
  return `${path}: ${error instanceof DecodeError ? error.reason : (error as Error).message}`;
}

export interface DecodeOptions {
  /** Shrink (never enlarge) so that the shorter side is at most this many pixels. */
  maxShortSide?: number;
}

/** Decodes bytes already in memory; throws DecodeError for corrupt, truncated or unsupported data. */
export async function decodeBytes(
  bytes: Uint8Array,
  path = "<memory>",
  options: DecodeOptions = {},
): Promise<RawImage> {
  try {
    // failOn "truncated" rejects cut-off JPEG/PNG files instead of returning grey padding.
    let pipeline = sharp(bytes, { failOn: "truncated" }).rotate();
    const side = options.maxShortSide;
    if (side !== undefined) pipeline = pipeline.resize(side, side, { fit: "outside", withoutEnlargement: true });
    const { data, info } = await pipeline
      .toColourspace("srgb")
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels after decoding, got ${info.channels}`);
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      channels: 3,
    };
  } catch (error) {
    throw new DecodeError(path, (error as Error).message.split("\n")[0] ?? "unreadable image");
  }
}

async function readImageFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new DecodeError(path, (error as Error).message);
  }
}

/** Reads and decodes one image file. */
export async function decodeImage(path: string, options: DecodeOptions = {}): Promise<RawImage> {
  return decodeBytes(await readImageFile(path), path, options);
}
