// The overhead chart, as hand-written SVG: per framework and mode, throughput relative to `bare`
// (left) and the CPU time per request the mode adds to `bare` (right). Bars are per-round medians,
// whiskers the min–max over rounds.

import { isGo } from '../matrix.mjs';
import { fixed } from './format.mjs';

/**
 * @typedef {import('./result.mjs').BenchmarkResult} BenchmarkResult
 * @typedef {import('../stats.mjs').Spread} Spread
 */

/** One colour per compared mode, readable on white and by most colour-blind readers. */
export const MODE_COLOURS = /** @type {Record<string, string>} */ ({
  metrics: '#59a14f',
  'otel-http': '#4e79a7',
  'otel-http-10%': '#76b7b2',
  official: '#e15759',
  'official-metrics': '#ff9d9a',
  floor: '#9d9d9d',
});

const WIDTH = 900;
const LABEL_X = 12;
const PANELS = [
  { x: 170, width: 320 },
  { x: 560, width: 300 },
];
const ROW = 17;
const GROUP_HEADER = 18;
const GROUP_GAP = 10;
const TOP = 112;

/** @param {string} text */
export function escapeXml(text) {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/**
 * Round numbers for an axis from `low` to `high`, about five of them.
 *
 * @param {number} low
 * @param {number} high
 * @returns {number[]}
 */
export function niceTicks(low, high) {
  const span = high - low;
  if (!(span > 0)) return [low];
  const rough = span / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * magnitude >= rough) ?? 10) * magnitude;
  const ticks = [];
  for (let tick = Math.ceil(low / step) * step; tick <= high + step / 1e6; tick += step) {
    ticks.push(Number(tick.toFixed(10)));
  }
  return ticks;
}

/**
 * @typedef {object} Bar
 * @property {string} mode
 * @property {Spread | undefined} value
 */

/**
 * @typedef {object} Panel
 * @property {string} title
 * @property {(cell: import('../stats.mjs').CellSummary) => Spread | undefined} pick
 * @property {number} digits
 * @property {{ at: number, label: string, dashed: boolean, anchor: 'start' | 'end' }[]} references
 * @property {number} [cap] Largest value the axis shows: an outlier of a noisy run must not squash
 *   every other bar. Longer bars and whiskers are cut at the edge; their label keeps the value.
 */

/**
 * @param {BenchmarkResult} result
 * @returns {string}
 */
export function renderSvg(result) {
  const { meta } = result;
  // The chart is the Node matrix's; the Go reference rows are in the Markdown report.
  const summary = result.summary.filter((cell) => !isGo(cell.framework));
  const frameworks = [...new Set(summary.map((cell) => cell.framework))];
  const modes = [...new Set(summary.map((cell) => cell.mode))].filter((mode) => mode !== 'bare');

  /** @type {Panel[]} */
  const panels = [
    {
      title: 'Throughput relative to bare (higher is better)',
      pick: (cell) => cell.throughputRatio,
      digits: 2,
      cap: 2,
      references: [
        { at: 1, label: 'bare', dashed: false, anchor: 'start' },
        { at: 0.9, label: 'target 0.90', dashed: true, anchor: 'end' },
      ],
    },
    {
      title: 'Added CPU µs per request (lower is better)',
      pick: (cell) => cell.addedCpuUs,
      digits: 1,
      references: [{ at: 0, label: '', dashed: false, anchor: 'start' }],
    },
  ];

  const height = TOP + frameworks.length * (GROUP_HEADER + modes.length * ROW + GROUP_GAP) + 40;
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LABEL_X}" y="24" font-size="16" font-weight="600">What the telemetry costs, per framework — Node ${escapeXml(meta.serverNode)}</text>`,
  );
  const { rounds, durationSeconds, connections } = meta.protocol;
  const subtitle =
    `${meta.date.slice(0, 10)} · ${rounds} round${rounds === 1 ? '' : 's'} × ${durationSeconds} s, ${connections} connections, ` +
    `GET /users/:id · bars: median of per-round ratios, whiskers: min–max` +
    (meta.quick ? ' · quick run' : '');
  out.push(`<text x="${LABEL_X}" y="44" fill="#444">${escapeXml(subtitle)}</text>`);
  if (meta.warnings.length > 0) {
    out.push(
      `<text x="${LABEL_X}" y="62" fill="#b00020">Indicative only: ${meta.warnings.length === 1 ? 'one warning' : `${meta.warnings.length} warnings`} in the report (busy machine, unsaturated server or missing runs).</text>`,
    );
  }

  // Legend.
  let legendX = LABEL_X;
  for (const mode of modes) {
    out.push(
      `<rect x="${legendX}" y="72" width="12" height="12" fill="${MODE_COLOURS[mode] ?? '#888'}"/>`,
      `<text x="${legendX + 16}" y="82">${escapeXml(mode)}</text>`,
    );
    legendX += 24 + mode.length * 7;
  }

  const plotTop = TOP;
  const plotBottom = height - 34;
  for (const [index, panel] of panels.entries()) {
    const { x, width } = /** @type {{ x: number, width: number }} */ (PANELS[index]);
    const values = summary
      .filter((cell) => cell.mode !== 'bare')
      .flatMap((cell) => {
        const v = panel.pick(cell);
        return v === undefined ? [] : [v.min, v.max, v.median];
      });
    const references = panel.references.map((r) => r.at);
    const low = Math.min(0, ...values, ...references);
    const rawHigh = Math.min(
      Math.max(...values, ...references),
      panel.cap ?? Number.POSITIVE_INFINITY,
    );
    const high = rawHigh + (rawHigh - low) * 0.08 || 1;
    const ticks = niceTicks(low, high);
    const domainLow = Math.min(low, ticks[0] ?? low);
    const domainHigh = Math.max(high, ticks[ticks.length - 1] ?? high);
    const scale = (/** @type {number} */ v) =>
      x + ((Math.min(v, domainHigh) - domainLow) / (domainHigh - domainLow)) * width;

    out.push(
      `<text x="${x}" y="${plotTop - 12}" font-weight="600">${escapeXml(panel.title)}</text>`,
    );
    for (const tick of ticks) {
      const tx = scale(tick).toFixed(1);
      out.push(
        `<line x1="${tx}" y1="${plotTop}" x2="${tx}" y2="${plotBottom}" stroke="#eeeeee"/>`,
        `<text x="${tx}" y="${plotBottom + 14}" text-anchor="middle" fill="#555">${escapeXml(String(tick))}</text>`,
      );
    }
    for (const reference of panel.references) {
      const rx = scale(reference.at).toFixed(1);
      out.push(
        `<line x1="${rx}" y1="${plotTop}" x2="${rx}" y2="${plotBottom}" stroke="#333" stroke-width="1"${reference.dashed ? ' stroke-dasharray="4 3"' : ''}/>`,
      );
      if (reference.label) {
        // Labels of neighbouring lines sit on either side of their line, not centred over it.
        const lx = scale(reference.at) + (reference.anchor === 'start' ? 3 : -3);
        out.push(
          `<text x="${lx.toFixed(1)}" y="${plotBottom + 28}" text-anchor="${reference.anchor}" fill="#333">${escapeXml(reference.label)}</text>`,
        );
      }
    }

    let y = plotTop;
    for (const framework of frameworks) {
      if (index === 0) {
        out.push(
          `<text x="${LABEL_X}" y="${y + 13}" font-weight="600">${escapeXml(framework)}</text>`,
        );
      }
      y += GROUP_HEADER;
      for (const mode of modes) {
        const cell = summary.find((c) => c.framework === framework && c.mode === mode);
        const value = cell === undefined ? undefined : panel.pick(cell);
        if (index === 0) {
          out.push(`<text x="${LABEL_X + 12}" y="${y + 12}" fill="#333">${escapeXml(mode)}</text>`);
        }
        if (value !== undefined) {
          const zero = scale(Math.max(domainLow, 0));
          const end = scale(value.median);
          const left = Math.min(zero, end);
          out.push(
            `<rect x="${left.toFixed(1)}" y="${y + 3}" width="${Math.abs(end - zero).toFixed(1)}" height="11" fill="${MODE_COLOURS[mode] ?? '#888'}"><title>${escapeXml(`${framework} ${mode}: ${fixed(value.median, panel.digits)} (${fixed(value.min, panel.digits)}–${fixed(value.max, panel.digits)})`)}</title></rect>`,
          );
          if (value.n > 1) {
            const a = scale(value.min).toFixed(1);
            const b = scale(value.max).toFixed(1);
            const mid = y + 8.5;
            out.push(
              `<line x1="${a}" y1="${mid}" x2="${b}" y2="${mid}" stroke="#222"/>`,
              `<line x1="${a}" y1="${mid - 3}" x2="${a}" y2="${mid + 3}" stroke="#222"/>`,
              `<line x1="${b}" y1="${mid - 3}" x2="${b}" y2="${mid + 3}" stroke="#222"/>`,
            );
          }
          const labelX = Math.max(end, scale(value.max)) + 4;
          out.push(
            `<text x="${labelX.toFixed(1)}" y="${y + 12}" font-size="10" fill="#333">${fixed(value.median, panel.digits)}</text>`,
          );
        } else {
          out.push(`<text x="${x + 4}" y="${y + 12}" font-size="10" fill="#999">no data</text>`);
        }
        y += ROW;
      }
      y += GROUP_GAP;
    }
  }
  out.push('</svg>', '');
  return out.join('\n');
}
