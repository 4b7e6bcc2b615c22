/** Global OpenTelemetry state the tests set up and must leave clean. */
import { context, type DiagLogger, diag, metrics, propagation, trace } from '@opentelemetry/api';

/** Unregisters every global, whatever registered it: each test file leaves the API as it found it. */
export function resetGlobals(): void {
  trace.disable();
  metrics.disable();
  propagation.disable();
  context.disable();
  diag.disable();
}

/** A diagnostic logger that keeps what it is told, to assert on reports. */
export interface CapturedDiag {
  readonly logger: DiagLogger;
  readonly messages: string[];
  /** Messages containing `text`. */
  matching(text: string): string[];
}

export function captureDiag(): CapturedDiag {
  const messages: string[] = [];
  const keep =
    (level: string) =>
    (message: string, ...args: unknown[]) => {
      messages.push(
        `${level} ${message}${args.length > 0 ? ` ${args.map(String).join(' ')}` : ''}`,
      );
    };
  return {
    logger: {
      error: keep('error'),
      warn: keep('warn'),
      info: keep('info'),
      debug: keep('debug'),
      verbose: keep('verbose'),
    },
    messages,
    matching: (text) => messages.filter((message) => message.includes(text)),
  };
}
