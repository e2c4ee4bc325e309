import { RuntimeError } from '../../api/errors.js';
import type { Remote } from './rpc.js';

/**
 * The actors of this thread, by name, for direct calls between actors that
 * share it. A call to an actor still starting waits for it (as a request
 * waits in a channel); a call to an actor that stopped is refused.
 */
interface Entry {
  instance: Promise<object>;
  /** Ready or refused; an unsettled entry has callers waiting for the actor's start. */
  settled: boolean;
  settle(outcome: { instance: object } | { error: Error }): void;
}

const actors = new Map<string, Entry>();

const gone = () => new RuntimeError('the actor at the other end of this channel has stopped');

function pending(): Entry {
  let resolve!: (instance: object) => void;
  let reject!: (error: Error) => void;
  const instance = new Promise<object>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  instance.catch(() => {});
  const entry: Entry = {
    instance,
    settled: false,
    settle(outcome) {
      entry.settled = true;
      if ('instance' in outcome) resolve(outcome.instance);
      else reject(outcome.error);
    },
  };
  return entry;
}

/** The entry callers of `name` wait on: the unsettled one, or a new one. */
function waiting(name: string): Entry {
  const entry = actors.get(name);
  if (entry && !entry.settled) return entry;
  const fresh = pending();
  actors.set(name, fresh);
  return fresh;
}

/** Called before a worker starts its actors: calls to `name` now wait for it to be ready. */
export function expectLocal(name: string): void {
  waiting(name);
}

/** `name` is ready: waiting and later direct calls reach `instance`. */
export function publishLocal(name: string, instance: object): void {
  waiting(name).settle({ instance });
}

/** `name` stopped or failed to start: waiting and later direct calls are refused. */
export function withdrawLocal(name: string): void {
  waiting(name).settle({ error: gone() });
}

/**
 * A client of the actor `name` of this thread: each method awaits the
 * instance's method. Arguments and results are the caller's and the
 * server's own objects, not copies.
 */
export function localClient<T>(name: string): Remote<T> {
  return new Proxy({} as Remote<T>, {
    get(_, method) {
      if (typeof method !== 'string' || method === 'then') return undefined;
      return async (...args: unknown[]) => {
        const instance = (await (actors.get(name) ?? waiting(name)).instance) as Record<string, unknown>;
        const member = instance[method];
        if (typeof member !== 'function') throw new RuntimeError(`actor "${name}" has no method "${method}"`);
        return (await (member as (...a: unknown[]) => unknown).apply(instance, args)) as unknown;
      };
    },
  });
}
