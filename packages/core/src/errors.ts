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
    const ownName: unknown = (error as { name?: unknown }).name;
    let type: unknown = ctorName;
    if (ctorName === 'Error' && typeof ownName === 'string' && ownName.length > 0) type = ownName;
    if (typeof type !== 'string' || type.length === 0 || type === 'Object') return OTHER;
    return type.length > MAX_ERROR_TYPE_LENGTH ? type.slice(0, MAX_ERROR_TYPE_LENGTH) : type;
  } catch {
    return OTHER;
  }
}

/** Turns anything thrown into something `span.recordException` accepts, without throwing. */
export function asException(error: unknown): Error | string {
  if (error instanceof Error) return error;
  try {
    return typeof error === 'string' ? error : String(error);
  } catch {
    return OTHER;
  }
}
