/** Real PNG photos made with sharp: textured, evenly lit, sharp unless asked otherwise. */
import sharp from "sharp";

export interface FixtureImageOptions {
  width?: number;
  height?: number;
  seed?: number;
  /** Mean grey level the texture sits around (0..255). */
  level?: number;
  /** Gaussian blur sigma; 0 keeps it sharp. */
  blur?: number;
}

/** Deterministic pseudo-random bytes (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function fixturePng(options: FixtureImageOptions = {}): Promise<Buffer> {
  const { width = 320, height = 320, seed = 1, level = 140, blur = 0 } = options;
  const next = random(seed);
  const pixels = Buffer.alloc(width * height * 3);
  // Skin-like base tone with blotches and fine grain, so the quality gate sees detail.
  const spots = Array.from({ length: 6 }, () => ({ x: next() * width, y: next() * height, r: 10 + next() * 40 }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inSpot = spots.some((s) => (x - s.x) ** 2 + (y - s.y) ** 2 < s.r ** 2);
      const grain = (next() - 0.5) * 60;
      const base = level + grain - (inSpot ? 45 : 0);
      const p = (y * width + x) * 3;
      pixels[p] = Math.max(0, Math.min(255, base + 35));
      pixels[p + 1] = Math.max(0, Math.min(255, base));
      pixels[p + 2] = Math.max(0, Math.min(255, base - 20));
    }
  }
  let image = sharp(pixels, { raw: { width, height, channels: 3 } });
  if (blur > 0) image = image.blur(blur);
  return image.png().toBuffer();
}
