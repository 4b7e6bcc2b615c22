// One benchmark server: `node src/server/main.mjs <framework> <mode>`, started by the harness with
// an IPC channel. It sets up the telemetry of its mode, then loads and starts the application,
// tells the harness its port, and answers `counts` requests with what the handler and the
// telemetry counted so far — the harness takes them before and after each measurement.

import { FRAMEWORKS, MODES } from '../matrix.mjs';
import { registerOfficialInstrumentation } from './official.mjs';
import { startTelemetry } from './telemetry.mjs';
import { createWindow } from './window.mjs';

/**
 * @typedef {object} ReadyMessage
 * @property {'ready'} type
 * @property {number} port
 * @property {string} node The server's Node version.
 */

/**
 * @typedef {object} CountsMessage
 * @property {'counts'} type
 * @property {number} handled Requests the route handler answered since the start.
 * @property {{ server: number, other: number }} spans
 * @property {number} durationPoints
 */

/**
 * The answer to `window-close` (see window.mjs): what the handler answered and V8 allocated since
 * `window-open`.
 *
 * @typedef {object} WindowMessage
 * @property {'window'} type
 * @property {number} handled
 * @property {number} allocatedBytes
 * @property {number} gcCount
 * @property {number} rssBytes The resident set size when the window closed.
 */

const [framework, mode] = process.argv.slice(2);
const knownFramework = FRAMEWORKS.find((f) => f === framework);
const knownMode = MODES.find((m) => m === mode);
if (knownFramework === undefined || knownMode === undefined || process.send === undefined) {
  console.error(
    `usage: node main.mjs <${FRAMEWORKS.join('|')}> <${MODES.join('|')}>, with an IPC channel`,
  );
  process.exit(2);
}
const send = process.send.bind(process);

// Under callgrind the server is counted in windows (see window.mjs), and so are its exports.
const windowed = process.env.OTEL_HTTP_BENCH_WINDOWED === '1';
const telemetry = startTelemetry(knownMode, { windowed });
const official =
  knownMode === 'official' || knownMode === 'official-metrics'
    ? registerOfficialInstrumentation(knownFramework, { tracing: knownMode === 'official' })
    : {};

let handled = 0;
/** @type {{ startApp: import('./apps/app.mjs').StartApp }} */
const app = await import(`./apps/${knownFramework}.mjs`);
const port = await app.startApp({ mode: knownMode, official, onHandled: () => handled++ });

const window = createWindow();
let handledAtOpen = 0;
process.on('message', async (/** @type {{ type?: string }} */ message) => {
  if (message.type === 'window-open') {
    // The spans of the requests before the window are exported before it opens; those of the
    // window's requests when it closes, inside it: each window pays for exporting its own spans,
    // exactly once, whenever a timer would have fired.
    await telemetry.flush();
    handledAtOpen = handled;
    window.open();
    send({ type: 'window-open' });
    return;
  }
  if (message.type === 'window-close') {
    await telemetry.flush();
    const figures = window.close();
    /** @type {WindowMessage} */
    const reply = {
      type: 'window',
      handled: handled - handledAtOpen,
      ...figures,
      rssBytes: process.memoryUsage.rss(),
    };
    send(reply);
    return;
  }
  if (message.type !== 'counts') return;
  const counts = await telemetry.counts();
  /** @type {CountsMessage} */
  const reply = { type: 'counts', handled, ...counts };
  send(reply);
});
// The harness went away: nothing will measure this server any more.
process.on('disconnect', () => process.exit(0));

/** @type {ReadyMessage} */
const ready = { type: 'ready', port, node: process.version };
send(ready);
