/**
 * Reads the Prometheus text exposition format (version 0.0.4), as a scrape of `/metrics` returns
 * it: metric families with their `# TYPE` and `# UNIT`, and samples with their labels.
 */

/**
 * @typedef {object} Sample
 * @property {string} name - As exposed, with any `_bucket`, `_count` or `_sum` suffix.
 * @property {Record<string, string>} labels
 * @property {number} value
 */

/**
 * @param {string} text
 * @returns {{ families: Map<string, { type?: string, unit?: string, help?: string }>, samples: Sample[] }}
 */
export function parsePrometheusText(text) {
  const families = new Map();
  const samples = [];
  const family = (name) => {
    if (!families.has(name)) families.set(name, {});
    return families.get(name);
  };
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '') continue;
    const meta = /^#\s+(HELP|TYPE|UNIT)\s+(\S+)\s*(.*)$/.exec(line);
    if (meta) {
      family(meta[2])[meta[1].toLowerCase()] = meta[3];
      continue;
    }
    if (line.startsWith('#')) continue;
    samples.push(parseSample(line));
  }
  return { families, samples };
}

function parseSample(line) {
  const nameEnd = line.search(/[{\s]/);
  if (nameEnd === -1) throw new Error(`not a sample line: ${line}`);
  const name = line.slice(0, nameEnd);
  const labels = {};
  let offset = nameEnd;
  if (line[offset] === '{') {
    offset++;
    while (line[offset] !== '}') {
      if (line[offset] === ',') {
        offset++;
        continue;
      }
      const eq = line.indexOf('=', offset);
      if (eq === -1 || line[eq + 1] !== '"') throw new Error(`bad labels in: ${line}`);
      const key = line.slice(offset, eq).trim();
      let value = '';
      offset = eq + 2;
      while (line[offset] !== '"') {
        if (offset >= line.length) throw new Error(`unterminated label value in: ${line}`);
        if (line[offset] === '\\') {
          const escaped = line[offset + 1];
          value += escaped === 'n' ? '\n' : escaped;
          offset += 2;
        } else value += line[offset++];
      }
      labels[key] = value;
      offset++;
    }
    offset++;
  }
  const [valueText] = line.slice(offset).trim().split(/\s+/);
  return { name, labels, value: Number(valueText) };
}
