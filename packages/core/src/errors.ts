import { type Attributes, context, type Exception, type Span, trace } from '@opentelemetry/api';
import { logger } from './diag.js';
import {
  ATTR_EXCEPTION_MESSAGE,
  ATTR_EXCEPTION_STACKTRACE,
  ATTR_EXCEPTION_TYPE,
  EVENT_HTTP_CLIENT_REQUEST_EXCEPTION,
  EVENT_HTTP_SERVER_REQUEST_EXCEPTION,
  OTHER,
  SEVERITY_NUMBER_ERROR,
  SEVERITY_NUMBER_WARN,
} from './semconv.js';
import type {
  ExceptionLoggerProvider,
  ExceptionLogRecord,
  ExceptionSignal,
  ServerInstrumentation,
} from './types.js';
import { SCOPE_NAME, SCOPE_VERSION } from './version.js';

const MAX_ERROR_TYPE_LENGTH = 128;

/**
 * A low-cardinality name for an error, for `error.type`: the class name (`TypeError`,
 * `BoomError`), or a more specific `name` set on a plain `Error`; `_OTHER` for anything else
 * (thrown strings, plain objects). Never throws, whatever getters the value has.
 */
export function errorType(error: unknown): string {
  try {
    if ((typeof error !== 'object' && typeof error !== 'function') || error === null) return OTHER;
    const ctorName: unknown = (error as { constructor?: { name?: unknown } }).constructor?.name;
    let ownName: unknown;
    try {
      ownName = (error as { name?: unknown }).name;
    } catch {
      // the class name still says what it is
    }
    let type: unknown = ctorName;
    if (ctorName === 'Error' && typeof ownName === 'string' && ownName.length > 0) type = ownName;
    if (typeof type !== 'string' || type.length === 0 || type === 'Object') return OTHER;
    return type.length > MAX_ERROR_TYPE_LENGTH ? type.slice(0, MAX_ERROR_TYPE_LENGTH) : type;
  } catch {
    return OTHER;
  }
}

/** How much of an error's text goes into an `exception` event. */
export interface ExceptionLimits {
  /** Longest `exception.message`, in UTF-16 code units. */
  readonly messageLength: number;
  /** Longest `exception.stacktrace`, in UTF-16 code units. */
  readonly stacktraceLength: number;
}

/**
 * The default {@link ExceptionLimits}: room for any real message and a long stack with its
 * causes, while an error carrying megabytes of text cannot fill the span queue.
 */
export const DEFAULT_EXCEPTION_LIMITS: ExceptionLimits = Object.freeze({
  messageLength: 4096,
  stacktraceLength: 16384,
});

/**
 * Turns anything thrown into what `span.recordException` records, without throwing and within
 * `limits`. An `Error` gives the fields the SDK reads from one (`code` or `name` for the type,
 * `message`, `stack`), each read on its own so that a throwing getter loses only that field;
 * anything else gives its string form, or `_OTHER` when even that throws (a revoked Proxy,
 * `Object.create(null)`).
 */
export function exceptionOf(
  error: unknown,
  limits: ExceptionLimits = DEFAULT_EXCEPTION_LIMITS,
): Exception {
  if (isError(error)) {
    const exception: { code?: string | number; name?: string; message?: string; stack?: string } =
      {};
    const code = codeOf(error);
    if (code !== undefined) exception.code = code;
    const name = stringField(error, 'name');
    if (name !== undefined) exception.name = cut(name, MAX_ERROR_TYPE_LENGTH);
    const message = stringField(error, 'message');
    if (message !== undefined) exception.message = cut(message, limits.messageLength);
    const stack = stringField(error, 'stack');
    if (stack !== undefined) exception.stack = cut(stack, limits.stacktraceLength);
    if (exception.code !== undefined || exception.name || exception.message) {
      return exception as Exception;
    }
    return errorType(error);
  }
  try {
    return cut(typeof error === 'string' ? error : String(error), limits.messageLength);
  } catch {
    return OTHER;
  }
}

function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    // a Proxy whose getPrototypeOf trap throws, a revoked Proxy
    return false;
  }
}

function stringField(error: Error, field: 'name' | 'message' | 'stack'): string | undefined {
  try {
    const value: unknown = error[field];
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A Node system error's `code` (`ECONNRESET`), which the SDK prefers as `exception.type`. */
function codeOf(error: Error): string | number | undefined {
  try {
    const code: unknown = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.length > 0) return cut(code, MAX_ERROR_TYPE_LENGTH);
    if (typeof code === 'number' && code !== 0 && !Number.isNaN(code)) return code;
    return undefined;
  } catch {
    return undefined;
  }
}

function cut(text: string, length: number): string {
  return text.length > length ? text.slice(0, length) : text;
}

/**
 * The attributes of an exception log record, from what {@link exceptionOf} made: the same
 * `exception.type` (a `code`, else the `name`), `exception.message` and `exception.stacktrace`
 * the SDK gives an `exception` span event for it.
 */
export function exceptionAttributes(exception: Exception): Attributes {
  if (typeof exception === 'string') return { [ATTR_EXCEPTION_MESSAGE]: exception };
  const attributes: Attributes = {};
  const type = exception.code !== undefined ? String(exception.code) : exception.name;
  if (type !== undefined) attributes[ATTR_EXCEPTION_TYPE] = type;
  if (exception.message !== undefined) attributes[ATTR_EXCEPTION_MESSAGE] = exception.message;
  if (exception.stack !== undefined) attributes[ATTR_EXCEPTION_STACKTRACE] = exception.stack;
  return attributes;
}

/** `OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN`, a comma-separated list: `logs/dup` wins over `logs`. */
export function exceptionSignalOf(value: string | undefined): ExceptionSignal {
  if (value === undefined) return 'span';
  const entries = value.split(',').map((entry) => entry.trim().toLowerCase());
  if (entries.includes('logs/dup')) return 'logs/dup';
  return entries.includes('logs') ? 'logs' : 'span';
}

/**
 * Where `@opentelemetry/api-logs` keeps its global provider: a getter taking the API's
 * compatibility version (1), read without depending on the package.
 */
const GLOBAL_LOGS_KEY = Symbol.for('io.opentelemetry.js.api.logs');
const LOGS_API_COMPATIBILITY = 1;

function globalLoggerProvider(): ExceptionLoggerProvider | undefined {
  const getter = (globalThis as Record<symbol, unknown>)[GLOBAL_LOGS_KEY];
  if (typeof getter !== 'function') return undefined;
  const provider = (getter as (version: number) => unknown)(LOGS_API_COMPATIBILITY);
  return typeof (provider as ExceptionLoggerProvider | undefined)?.getLogger === 'function'
    ? (provider as ExceptionLoggerProvider)
    : undefined;
}

/** Which side of a request an exception is recorded for. */
export type ExceptionSide = 'server' | 'client';

/** How one instrumentation records exceptions. */
export interface ExceptionRecording {
  readonly signal: ExceptionSignal;
  readonly limits: ExceptionLimits;
  readonly side: ExceptionSide;
  /** Default: the global one, looked up at each record. */
  readonly loggerProvider?: ExceptionLoggerProvider | undefined;
}

/**
 * Records `error` on `span` as the conventions say for the configured signal: an `exception`
 * span event, a `http.{server,client}.request.exception` log record (ERROR on the server, WARN on
 * the client) in the span's context, or both. The returned function never throws.
 */
export function createExceptionRecorder(
  recording: ExceptionRecording,
): (span: Span, error: unknown) => void {
  const { signal, limits, side } = recording;
  const toSpan = signal !== 'logs';
  const toLogs = signal !== 'span';
  const eventName =
    side === 'server' ? EVENT_HTTP_SERVER_REQUEST_EXCEPTION : EVENT_HTTP_CLIENT_REQUEST_EXCEPTION;
  const severityNumber = side === 'server' ? SEVERITY_NUMBER_ERROR : SEVERITY_NUMBER_WARN;
  const severityText = side === 'server' ? 'ERROR' : 'WARN';
  let provider: ExceptionLoggerProvider | undefined;
  let emitter: ReturnType<ExceptionLoggerProvider['getLogger']> | undefined;
  let warnedNoProvider = false;

  const loggerOf = (): ReturnType<ExceptionLoggerProvider['getLogger']> | undefined => {
    const current = recording.loggerProvider ?? globalLoggerProvider();
    if (current === undefined) {
      if (!warnedNoProvider) {
        warnedNoProvider = true;
        logger.warn(
          'exceptions are recorded as logs, but no LoggerProvider is registered: none is emitted',
        );
      }
      return undefined;
    }
    if (current !== provider) {
      provider = current;
      emitter = current.getLogger(SCOPE_NAME, SCOPE_VERSION);
    }
    return emitter;
  };

  return (span, error) => {
    try {
      const exception = exceptionOf(error, limits);
      if (toSpan) span.recordException(exception);
      if (toLogs) {
        const record: ExceptionLogRecord = {
          eventName,
          severityNumber,
          severityText,
          attributes: exceptionAttributes(exception),
          context: trace.setSpan(context.active(), span),
        };
        loggerOf()?.emit(record);
      }
    } catch (failure) {
      logger.error('recording the exception failed', failure);
    }
  };
}

/**
 * Records an error on a request's span the way `instrumentation` records exceptions (its signal,
 * limits and logger provider), whatever the request's outcome: for an error raised after the
 * response head went out. Read through the instrumentation's resolved rules rather than a class
 * check, so that the entries bundled apart (`@otel-http/core/node`) agree.
 */
export function recordServerException(
  instrumentation: ServerInstrumentation,
  span: Span,
  error: unknown,
): void {
  const rules = (
    instrumentation as {
      rules?: { recordException?: ((span: Span, error: unknown) => void) | undefined };
    }
  ).rules;
  rules?.recordException?.(span, error);
}
