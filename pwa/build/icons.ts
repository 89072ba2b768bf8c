/**
 * Draws the app icons (192, 512 and a maskable 512) into pwa/public/icons with sharp.
 * Run once after changing the design: `npx tsx pwa/build/icons.ts`; the PNGs are committed.
 */
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";

const OUT = join(dirname(fileURLToPath(import.meta.url)), "../public/icons");

/** A white magnifier over a skin-tone spot on the theme blue; `safe` shrinks it into the maskable safe zone. */
function svg(size: number, safe: number, rounded: boolean): string {
  const s = size * safe;
  const o = (size - s) / 2;
  const radius = rounded ? size * 0.18 : 0;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">
  <rect width="${size}" height="${size}" rx="${radius}" fill="#0b5cad"/>
  <circle cx="${o + s * 0.42}" cy="${o + s * 0.42}" r="${s * 0.26}" fill="#f2c9a5"/>
  <circle cx="${o + s * 0.46}" cy="${o + s * 0.46}" r="${s * 0.08}" fill="#b5533c"/>
  <circle cx="${o + s * 0.42}" cy="${o + s * 0.42}" r="${s * 0.26}" fill="none" stroke="#fff" stroke-width="${s * 0.07}"/>
  <line x1="${o + s * 0.61}" y1="${o + s * 0.61}" x2="${o + s * 0.82}" y2="${o + s * 0.82}" stroke="#fff" stroke-width="${s * 0.1}" stroke-linecap="round"/>
</svg>`;
}

await mkdir(OUT, { recursive: true });
const icons: [string, number, number, boolean][] = [
  ["icon-192.png", 192, 0.9, true],
  ["icon-512.png", 512, 0.9, true],
  ["icon-maskable-512.png", 512, 0.7, false],
];
for (const [name, size, safe, rounded] of icons) {
  await sharp(Buffer.from(svg(size, safe, rounded)))
    .png({ compressionLevel: 9, palette: true })
    .toFile(join(OUT, name));
}
console.log(`wrote ${icons.map(([name]) => name).join(", ")} to ${OUT}`);
