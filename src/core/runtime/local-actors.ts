import { RuntimeError } from '../../api/errors.js';
import type { Remote } from './rpc.js';

/**
 * The actors of this thread, by runtime and name, for direct calls between
 * actors that share it (the main thread may run several runtimes' inline
 * actors: a batch of migrations). A call to an actor still starting waits
 * for it (as a request waits in a channel); a call to an actor that stopped
 * is refused.
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

/** An actor of one runtime: the runtime's scope and the actor's name. */
export interface LocalActor {
  scope: string;
  name: string;
}

function keyOf({ scope, name }: LocalActor): string {
  return `${scope}\0${name}`;
}

/** The entry callers of `actor` wait on: the unsettled one, or a new one. */
function waiting(actor: LocalActor): Entry {
  const key = keyOf(actor);
  const entry = actors.get(key);
  if (entry && !entry.settled) return entry;
  const fresh = pending();
  actors.set(key, fresh);
  return fresh;
}

/** Called before a worker starts its actors: calls to `actor` now wait for it to be ready. */
export function expectLocal(actor: LocalActor): void {
  waiting(actor);
}

/** `actor` is ready: waiting and later direct calls reach `instance`. */
export function publishLocal(actor: LocalActor, instance: object): void {
  waiting(actor).settle({ instance });
}

/** `actor` stopped or failed to start: waiting and later direct calls are refused. */
export function withdrawLocal(actor: LocalActor): void {
  waiting(actor).settle({ error: gone() });
}

/**
 * A client of the actor `name` of this thread: each method awaits the
 * instance's method. Arguments and results are the caller's and the
 * server's own objects, not copies.
 */
export function localClient<T>(actor: LocalActor): Remote<T> {
  return new Proxy({} as Remote<T>, {
    get(_, method) {
      if (typeof method !== 'string' || method === 'then') return undefined;
      return async (...args: unknown[]) => {
        const instance = (await (actors.get(keyOf(actor)) ?? waiting(actor)).instance) as Record<string, unknown>;
        const member = instance[method];
        if (typeof member !== 'function') throw new RuntimeError(`actor "${actor.name}" has no method "${method}"`);
        return (await (member as (...a: unknown[]) => unknown).apply(instance, args)) as unknown;
      };
    },
  });
}
