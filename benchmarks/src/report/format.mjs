// Number formatting shared by the Markdown and SVG reports.

/**
 * @typedef {import('../stats.mjs').Spread} Spread
 */

/**
 * @param {number} value
 * @param {number} digits
 */
export function fixed(value, digits) {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}

/** @param {number} value */
export function whole(value) {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '–';
}

/**
 * `median (min–max)`, or `–` when there is nothing; the range is left out for a single value.
 *
 * @param {Spread | undefined} value
 * @param {number} digits
 */
export function spreadText(value, digits) {
  if (value === undefined) return '–';
  if (value.n === 1) return fixed(value.median, digits);
  return `${fixed(value.median, digits)} (${fixed(value.min, digits)}–${fixed(value.max, digits)})`;
}
