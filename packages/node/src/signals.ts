import { describeError, logger } from './diag.js';
import type { ShutdownSignal } from './options.js';

/**
 * Shuts telemetry down when one of `signals` arrives. Listening to a signal replaces Node's default
 * action (ending the process), so when no other listener is there to end it, the signal is raised
 * again after the flush and the process ends as it would have. With `yieldToApplication`, a signal
 * the application listens to itself is left to it entirely: its handler decides when to shut down
 * and exit. A second signal during the flush finds no listener of ours and ends the process at
 * once. Returns how to remove the listeners.
 */
export function installShutdownSignals(
  signals: readonly ShutdownSignal[],
  shutdown: () => Promise<void>,
  { yieldToApplication }: { yieldToApplication: boolean },
): () => void {
  if (signals.length === 0) return () => {};
  const listeners = new Map<NodeJS.Signals, () => void>();
  const remove = () => {
    for (const [signal, listener] of listeners) process.removeListener(signal, listener);
    listeners.clear();
  };
  for (const name of signals) {
    const signal = name as NodeJS.Signals;
    const listener = () => {
      const othersListen = process.listenerCount(signal) > 1;
      if (othersListen && yieldToApplication) return;
      remove();
      shutdown()
        .catch((error: unknown) =>
          logger.error(`shutdown on ${signal} failed: ${describeError(error)}`),
        )
        .finally(() => {
          if (!othersListen) process.kill(process.pid, signal);
        });
    };
    listeners.set(signal, listener);
    process.on(signal, listener);
  }
  return remove;
}
