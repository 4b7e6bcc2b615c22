// Reads a V8 `.cpuprofile` (from `node --cpu-prof`) and says where the time went: by package, by
// function (self time), and the inclusive time of the otel-http functions on the stack.

/**
 * @typedef {object} ProfileNode
 * @property {number} id
 * @property {{ functionName: string, url: string, lineNumber: number }} callFrame
 * @property {number[]} [children]
 */

/**
 * @typedef {object} CpuProfile
 * @property {ProfileNode[]} nodes
 * @property {number[]} samples Node id of each sample.
 * @property {number[]} timeDeltas µs before each sample.
 */

/**
 * @typedef {object} Share
 * @property {string} name
 * @property {number} micros
 * @property {number} share Of the busy time (idle excluded).
 */

/**
 * @typedef {object} ProfileSummary
 * @property {number} busyMicros Sampled time not spent idle.
 * @property {Share[]} byPackage Self time by package (or runtime part).
 * @property {Share[]} selfByFunction
 * @property {Share[]} inclusiveOtelHttp Inclusive time of otel-http functions.
 */

/**
 * Which package (or part of the runtime) a frame belongs to, from its script URL.
 *
 * @param {ProfileNode['callFrame']} frame
 * @returns {string}
 */
export function frameOwner(frame) {
  const { url, functionName } = frame;
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'V8 / native';
    return 'V8 / native';
  }
  if (url.startsWith('node:')) return 'Node internals';
  const workspace = /\/packages\/([^/]+)\//.exec(url);
  if (workspace) return `@otel-http/${workspace[1]}`;
  if (url.includes('/benchmarks/src/')) return 'benchmark application';
  const modules = url.split('/node_modules/');
  const last = modules[modules.length - 1];
  if (modules.length > 1 && last !== undefined) {
    const parts = last.split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? 'unknown');
  }
  return 'other';
}

/**
 * @param {ProfileNode['callFrame']} frame
 */
function frameName(frame) {
  const file = frame.url.replace(/^.*\/(packages|node_modules)\//, '').replace(/^file:\/\//, '');
  return `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
}

/**
 * @param {Map<string, number>} totals
 * @param {number} busy
 * @param {number} top
 * @returns {Share[]}
 */
function ranked(totals, busy, top) {
  return [...totals.entries()]
    .map(([name, micros]) => ({ name, micros, share: micros / busy }))
    .sort((a, b) => b.micros - a.micros)
    .slice(0, top);
}

/**
 * @param {CpuProfile} profile
 * @param {number} [top] How many functions to list.
 * @returns {ProfileSummary}
 */
export function summariseProfile(profile, top = 25) {
  /** @type {Map<number, ProfileNode>} */
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  /** @type {Map<number, number>} */
  const parent = new Map();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
  }

  /** @type {Map<string, number>} */
  const byPackage = new Map();
  /** @type {Map<string, number>} */
  const selfByFunction = new Map();
  /** @type {Map<string, number>} */
  const inclusive = new Map();
  let busy = 0;
  /** @param {Map<string, number>} map @param {string} key @param {number} value */
  const add = (map, key, value) => map.set(key, (map.get(key) ?? 0) + value);

  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index] ?? 0;
    const node = byId.get(id);
    if (node === undefined) return;
    const owner = frameOwner(node.callFrame);
    if (owner === 'idle') return;
    busy += micros;
    add(byPackage, owner, micros);
    add(selfByFunction, `${frameName(node.callFrame)} [${owner}]`, micros);
    // Every otel-http function on the stack, once per sample even under recursion.
    const seen = new Set();
    for (let at = /** @type {number | undefined} */ (id); at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (frame === undefined || !frameOwner(frame).startsWith('@otel-http/')) continue;
      const key = `${frameName(frame)} [${frameOwner(frame)}]`;
      if (seen.has(key)) continue;
      seen.add(key);
      add(inclusive, key, micros);
    }
  });

  return {
    busyMicros: busy,
    byPackage: ranked(byPackage, busy, Number.POSITIVE_INFINITY),
    selfByFunction: ranked(selfByFunction, busy, top),
    inclusiveOtelHttp: ranked(inclusive, busy, top),
  };
}

/**
 * @param {ProfileSummary} summary
 * @param {number} [requests] Requests served while profiling, to show µs per request as well.
 * @returns {string}
 */
export function renderProfileSummary(summary, requests) {
  /** @param {Share[]} shares */
  const table = (shares) =>
    shares
      .map((s) => {
        const perRequest = requests
          ? `${(s.micros / requests).toFixed(2).padStart(8)} µs/req  `
          : '';
        return `${(s.share * 100).toFixed(1).padStart(6)} %  ${perRequest}${s.name}`;
      })
      .join('\n');
  return [
    `busy time sampled: ${(summary.busyMicros / 1e6).toFixed(2)} s` +
      (requests ? ` for ${requests} requests (start-up included)` : ''),
    '',
    'self time by package:',
    table(summary.byPackage),
    '',
    'self time by function:',
    table(summary.selfByFunction),
    '',
    'inclusive time of otel-http functions:',
    table(summary.inclusiveOtelHttp),
  ].join('\n');
}
