/**
 * The largest photo the app reads. Reading pixels holds full-size RGBA (width × height × 4 bytes) about
 * three times over (bitmap, canvas, ImageData): 40 MP is already ~480 MB at that peak, more than a
 * phone's tab can count on. Larger photos are refused with a message rather than downscaled, so every
 * photo that is read goes through the preprocessing contract unchanged, as in training. Ordinary phone
 * photos (12–24 MP, a few MB) are far below both limits.
 */
export const PHOTO_LIMITS = { maxPixels: 40_000_000, maxBytes: 40 * 1024 * 1024 };

export type PhotoLimits = typeof PHOTO_LIMITS;

/** What is over the limit, in the units the message shows (megapixels or megabytes, rounded up). */
export interface PhotoSizeProblem {
  kind: "pixels" | "bytes";
  size: number;
  limit: number;
}

const MEGAPIXEL = 1_000_000;
const MEGABYTE = 1024 * 1024;

export function fileSizeProblem(bytes: number, limits: PhotoLimits = PHOTO_LIMITS): PhotoSizeProblem | undefined {
  if (bytes <= limits.maxBytes) return undefined;
  return { kind: "bytes", size: Math.ceil(bytes / MEGABYTE), limit: Math.floor(limits.maxBytes / MEGABYTE) };
}

export function pixelCountProblem(
  width: number,
  height: number,
  limits: PhotoLimits = PHOTO_LIMITS,
): PhotoSizeProblem | undefined {
  if (width * height <= limits.maxPixels) return undefined;
  return {
    kind: "pixels",
    size: Math.ceil((width * height) / MEGAPIXEL),
    limit: Math.floor(limits.maxPixels / MEGAPIXEL),
  };
}
