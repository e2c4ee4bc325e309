import * as Comlink from 'comlink';
import type { MessagePort } from 'node:worker_threads';
import { rebuildError } from '../../api/error-registry.js';
import { RuntimeError } from '../../api/errors.js';
import { withoutSecrets } from '../output/secrets.js';
import { nodeEndpoint } from './node-endpoint.js';

/**
 * comlink carries only name/message/stack of a thrown error; this handler
 * keeps `code`, `retryable` and the typed class across threads, with every
 * secret this thread knows redacted from its texts (the thread that read a
 * password is the one whose errors may quote it). It is registered in every
 * thread that imports this module.
 */
Comlink.transferHandlers.set('throw', {
  // comlink marks thrown values with a symbol it does not export.
  canHandle: (value: unknown): value is { value: unknown } =>
    typeof value === 'object' && value !== null && Object.getOwnPropertySymbols(value).some((s) => s.description === 'Comlink.thrown'),
  serialize({ value }: { value: unknown }) {
    const error = value instanceof Error ? value : new Error(String(value));
    const extra = Object.fromEntries(Object.entries(error).flatMap(([k, v]) => (isPlainData(v, 4) ? [[k, redactedData(v)]] : [])));
    return [{ name: error.name, message: withoutSecrets(error.message), stack: error.stack === undefined ? undefined : withoutSecrets(error.stack), extra }, []];
  },
  deserialize(serialized: { name: string; message: string; stack?: string; extra: Record<string, unknown> }) {
    throw rebuildError(serialized);
  },
} as Comlink.TransferHandler<{ value: unknown }, unknown>);

/** Primitives, and arrays and plain objects of them `depth` levels down (e.g. PartialStoreError's lists): what an error may carry across. */
function isPlainData(value: unknown, depth: number): boolean {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return true;
  if (depth === 0 || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.every((item) => isPlainData(item, depth - 1));
  return Object.getPrototypeOf(value) === Object.prototype && Object.values(value).every((item) => isPlainData(item, depth - 1));
}

/** A copy of plain data (see isPlainData) with secrets removed from its strings. */
function redactedData(value: unknown): unknown {
  if (typeof value === 'string') return withoutSecrets(value);
  if (Array.isArray(value)) return value.map(redactedData);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactedData(v)]));
  return value;
}

/**
 * Byte buffers found in a value (one level into arrays and objects, where
 * message bodies sit). A view sharing a larger buffer (Node's Buffer pool)
 * is copied first: transferring the pool would detach unrelated Buffers.
 */
function withTransferables<T>(value: T): T {
  const transferables: ArrayBuffer[] = [];
  const own = (view: Uint8Array): Uint8Array => {
    if (view.byteOffset !== 0 || view.byteLength !== view.buffer.byteLength || !(view.buffer instanceof ArrayBuffer)) {
      view = new Uint8Array(view);
    }
    transferables.push(view.buffer as ArrayBuffer);
    return view;
  };
  const visit = (v: unknown, depth: number): unknown => {
    if (v instanceof Uint8Array) return own(v);
    if (depth > 3 || typeof v !== 'object' || v === null) return v;
    if (Array.isArray(v)) return v.map((item) => visit(item, depth + 1));
    if (Object.getPrototypeOf(v) !== Object.prototype) return v;
    return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, visit(item, depth + 1)]));
  };
  const result = visit(value, 0) as T;
  return transferables.length ? Comlink.transfer(result, transferables) : result;
}

/** Serves `target`'s methods on `port`; byte buffers in results are transferred, not copied. */
export function serve(target: object, port: MessagePort): void {
  const transferring = new Proxy(target, {
    get(obj, key, receiver) {
      const member = Reflect.get(obj, key, receiver);
      if (typeof member !== 'function') return member;
      return async (...args: unknown[]) => withTransferables(await member.apply(obj, args));
    },
  });
  Comlink.expose(transferring, nodeEndpoint(port));
}

/** A remote actor as seen by its caller. Every method returns a promise. */
export type Remote<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/**
 * Calls the actor served on `port`; byte buffers in arguments are
 * transferred, not copied. When the other end goes away (its worker died or
 * stopped), calls in flight and later calls reject instead of hanging.
 */
export function connect<T>(port: MessagePort): Remote<T> {
  const remote = Comlink.wrap<Record<string, (...args: unknown[]) => Promise<unknown>>>(nodeEndpoint(port));
  const pending = new Set<(error: Error) => void>();
  let closed = false;
  const gone = () => new RuntimeError('the actor at the other end of this channel has stopped');
  port.once('close', () => {
    closed = true;
    for (const reject of pending) reject(gone());
    pending.clear();
  });
  return new Proxy({} as Remote<T>, {
    get(_, key) {
      if (typeof key !== 'string' || key === 'then') return undefined;
      return (...args: unknown[]) =>
        new Promise((resolve, reject) => {
          if (closed) return reject(gone());
          pending.add(reject);
          remote[key]!(...args.map((arg) => withTransferables(arg)))
            .then(resolve, reject)
            .finally(() => pending.delete(reject));
        });
    },
  });
}
