import type { Exception } from '@opentelemetry/api';
import { OTHER } from './semconv.js';

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
