/** Decodes a photo file into pixels for the model, a small copy for the quality gate and a thumbnail. */
import type { RawImage } from "@pifu/core";
import { fileSizeProblem, type PhotoSizeProblem, pixelCountProblem } from "./size-limit.js";

export const PREVIEW_MAX_SIDE = 512;
const THUMBNAIL_SIDE = 160;

export interface DecodedPhoto {
  /** Full-resolution RGBA pixels, fed to the contract's `preprocess`. */
  pixels: RawImage;
  /** At most PREVIEW_MAX_SIDE on its longer side, for the quality gate. */
  preview: RawImage;
  thumbnail: Blob;
}

export class PhotoDecodeError extends Error {
  override name = "PhotoDecodeError";
  /** `heic`: the file says it is HEIC/HEIF, which most browsers other than Safari cannot decode. */
  constructor(
    message: string,
    readonly heic = false,
  ) {
    super(message);
  }
}

/** Whether the file's type or name says HEIC or HEIF (an iPhone's default photo format). */
export function isHeic(file: Blob): boolean {
  const name = file instanceof File ? file.name : "";
  return /^image\/hei[cf](-sequence)?$/i.test(file.type) || /\.hei[cf]$/i.test(name);
}

/** The photo is over PHOTO_LIMITS; `problem` says by how much, for the message. */
export class PhotoTooLargeError extends Error {
  override name = "PhotoTooLargeError";
  constructor(readonly problem: PhotoSizeProblem) {
    super(`the photo is ${problem.size} (limit ${problem.limit}) ${problem.kind === "pixels" ? "megapixels" : "MB"}`);
  }
}

function refuseIf(problem: PhotoSizeProblem | undefined): void {
  if (problem) throw new PhotoTooLargeError(problem);
}

/**
 * The image's size from its header, or undefined when an <img> cannot read it. Chromium decodes an
 * <img>'s pixels only when it is painted, so its load event costs no full-size bitmap.
 */
function headerSize(file: Blob): Promise<{ width: number; height: number } | undefined> {
  const url = URL.createObjectURL(file);
  const image = new Image();
  return new Promise<{ width: number; height: number } | undefined>((resolve) => {
    image.onload = () => resolve({ width: image.naturalWidth, height: image.naturalHeight });
    image.onerror = () => resolve(undefined);
    image.src = url;
  }).finally(() => URL.revokeObjectURL(url));
}

function context2d(width: number, height: number): OffscreenCanvasRenderingContext2D {
  const context = new OffscreenCanvas(width, height).getContext("2d", { willReadFrequently: true });
  if (!context) throw new PhotoDecodeError("this browser cannot draw images (no 2D canvas)");
  return context;
}

/** RGBA pixels of `bitmap`, drawn at the given size. */
export function readPixels(bitmap: ImageBitmap, width = bitmap.width, height = bitmap.height): RawImage {
  const context = context2d(width, height);
  context.drawImage(bitmap, 0, 0, width, height);
  const { data } = context.getImageData(0, 0, width, height, { colorSpace: "srgb" });
  return { data, width, height, channels: 4 };
}

export async function decodeBitmap(file: Blob): Promise<ImageBitmap> {
  try {
    // Colours converted to sRGB from the photo's own profile (an iPhone's Display P3, say), as training's
    // decoder does; a photo without one is taken as sRGB and left as it is. No premultiplication, so the
    // bytes match sharp's exactly.
    return await createImageBitmap(file, {
      colorSpaceConversion: "default",
      premultiplyAlpha: "none",
      imageOrientation: "from-image",
    });
  } catch {
    const heic = isHeic(file);
    throw new PhotoDecodeError(`this ${heic ? "HEIC " : ""}file is not an image the browser can read`, heic);
  }
}

async function thumbnailOf(bitmap: ImageBitmap): Promise<Blob> {
  const side = Math.min(bitmap.width, bitmap.height);
  const context = context2d(THUMBNAIL_SIDE, THUMBNAIL_SIDE);
  context.drawImage(
    bitmap,
    (bitmap.width - side) / 2,
    (bitmap.height - side) / 2,
    side,
    side,
    0,
    0,
    THUMBNAIL_SIDE,
    THUMBNAIL_SIDE,
  );
  return context.canvas.convertToBlob({ type: "image/jpeg", quality: 0.8 });
}

/** Throws PhotoTooLargeError, before any full-size decode, for a photo over PHOTO_LIMITS. */
export async function decodePhoto(file: Blob): Promise<DecodedPhoto> {
  refuseIf(fileSizeProblem(file.size));
  const size = await headerSize(file);
  if (size) refuseIf(pixelCountProblem(size.width, size.height));
  const bitmap = await decodeBitmap(file);
  try {
    // Checked again in case the header could not be read but the full decode could.
    refuseIf(pixelCountProblem(bitmap.width, bitmap.height));
    const scale = Math.min(1, PREVIEW_MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    return {
      pixels: readPixels(bitmap),
      preview: readPixels(
        bitmap,
        Math.max(1, Math.round(bitmap.width * scale)),
        Math.max(1, Math.round(bitmap.height * scale)),
      ),
      thumbnail: await thumbnailOf(bitmap),
    };
  } finally {
    bitmap.close();
  }
}
