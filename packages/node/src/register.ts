/**
 * Preload entry: `node --import @otel-http/node/register app.js` (or `--require` for CommonJS)
 * starts telemetry from the `OTEL_*` environment variables before the application loads, shuts it
 * down (flushing) on SIGTERM and SIGINT, and flushes when the event loop empties. An invalid
 * variable stops the process with an error naming it.
 */
import { startTelemetryFrom } from './start-telemetry.js';

const telemetry = startTelemetryFrom(
  { shutdownOnSignals: true },
  { startedBy: 'the @otel-http/node/register preload' },
);

// A short script ends when its event loop empties: flush before that, once.
process.once('beforeExit', () => {
  void telemetry.shutdown();
});
