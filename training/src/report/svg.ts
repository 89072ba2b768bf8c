/** Small dependency-free SVG charts for run and ablation reports. */

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export interface Series {
  name: string;
  values: number[];
}

const PALETTE = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#ff7f0e",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#17becf",
  "#7f7f7f",
  "#bcbd22",
  "#393b79",
  "#ad494a",
];

/** A line chart over epochs (x = 1..n) with a legend; y range from the data unless given. */
export function lineChartSvg(title: string, series: Series[], yLabel: string, yRange?: [number, number]): string {
  // The legend sits in its own column on the right so it never hides a curve.
  const width = 900;
  const height = 360;
  const pad = { left: 56, right: 300, top: 32, bottom: 44 };
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const maxX = Math.max(1, ...series.map((s) => s.values.length));
  let [lo, hi] = yRange ?? [Math.min(...all), Math.max(...all)];
  if (!(hi > lo)) [lo, hi] = [lo - 0.5, hi + 0.5];
  const px = (i: number) => pad.left + ((i - 1) / Math.max(1, maxX - 1)) * (width - pad.left - pad.right);
  const py = (v: number) => height - pad.bottom - ((v - lo) / (hi - lo)) * (height - pad.top - pad.bottom);
  const ticks = Array.from({ length: 5 }, (_, i) => lo + ((hi - lo) * i) / 4);
  const lines = series.map((s, k) => {
    const pts = s.values.map((v, i) => `${px(i + 1).toFixed(1)},${py(v).toFixed(1)}`).join(" ");
    const colour = PALETTE[k % PALETTE.length];
    return `<polyline fill="none" stroke="${colour}" stroke-width="1.8" points="${pts}"/>`;
  });
  const legend = series.map(
    (s, k) =>
      `<g transform="translate(${width - pad.right + 16},${pad.top + 6 + k * 16})"><rect width="10" height="10" fill="${PALETTE[k % PALETTE.length]}"/><text x="14" y="9" font-size="11">${esc(s.name)}</text></g>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="13">${esc(title)}</text>`,
    ...ticks.map(
      (t) =>
        `<line x1="${pad.left}" x2="${width - pad.right}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#ddd"/><text x="${pad.left - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end" font-size="10">${t.toFixed(2)}</text>`,
    ),
    `<text x="${(pad.left + width - pad.right) / 2}" y="${height - 8}" text-anchor="middle" font-size="11">epoch</text>`,
    `<text transform="translate(14,${height / 2}) rotate(-90)" text-anchor="middle" font-size="11">${esc(yLabel)}</text>`,
    `<text x="${pad.left}" y="${height - pad.bottom + 14}" font-size="10">1</text>`,
    `<text x="${width - pad.right}" y="${height - pad.bottom + 14}" text-anchor="end" font-size="10">${maxX}</text>`,
    ...lines,
    ...legend,
    "</svg>",
  ].join("\n");
}

/** A confusion-matrix heat map; cell shade is the row-normalised rate, text the count. */
export function confusionSvg(title: string, confusion: number[][], classes: readonly string[]): string {
  const cell = 44;
  const left = 150;
  const top = 130;
  const size = classes.length * cell;
  const width = left + size + 20;
  const height = top + size + 20;
  const cells: string[] = [];
  for (const [i, row] of confusion.entries()) {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    for (const [j, count] of row.entries()) {
      const rate = count / total;
      const shade = Math.round(255 - rate * 200);
      const x = left + j * cell;
      const y = top + i * cell;
      cells.push(
        `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="rgb(${shade},${shade},255)" stroke="#fff"/>`,
        `<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" font-size="11" fill="${rate > 0.6 ? "white" : "black"}">${count}</text>`,
      );
    }
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="13">${esc(title)}</text>`,
    ...classes.map(
      (c, i) =>
        `<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end" font-size="11">${esc(c)}</text>`,
    ),
    ...classes.map(
      (c, j) =>
        `<text transform="translate(${left + j * cell + cell / 2 + 4},${top - 6}) rotate(-60)" font-size="11">${esc(c)}</text>`,
    ),
    `<text x="12" y="${top + size / 2}" font-size="11" transform="rotate(-90 12 ${top + size / 2})" text-anchor="middle">true</text>`,
    `<text x="${left + size / 2}" y="34" font-size="11" text-anchor="middle">predicted</text>`,
    ...cells,
    "</svg>",
  ].join("\n");
}
