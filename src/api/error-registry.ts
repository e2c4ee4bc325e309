import * as errors from './errors.js';

/** A thrown error as it crosses a thread. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  extra: Record<string, unknown>;
}

/**
 * Rebuilds an error that crossed a thread as an instance of its typed class
 * when it is one of ours, so `instanceof AuthError` works in the caller.
 */
export function rebuildError(serialized: SerializedError): Error {
  const known = (errors as Record<string, unknown>)[serialized.name];
  const error: Error =
    typeof known === 'function' && (known as { prototype: unknown }).prototype instanceof Error
      ? (Object.create((known as { prototype: object }).prototype) as Error)
      : new Error();
  Object.assign(error, serialized.extra, { name: serialized.name, message: serialized.message });
  if (serialized.stack) error.stack = serialized.stack;
  return error;
}
