import type { Logger } from 'pino';
import type { Remote } from '../core/runtime/rpc.js';
import type { Runtime } from '../core/runtime/runtime.js';

export type { Remote };

/** What an actor gets besides its options when its worker builds it. */
export interface ActorContext {
  /** The actor's name in the topology. */
  name: string;
  /** Logs through the logger worker, tagged with the actor's name. */
  logger: Logger;
  /** The actor at the other end of a channel this actor calls, by actor or channel name. */
  peer<T>(name: string): Remote<T>;
}

/** A class an app declares as an actor. It may also define `start()` and `stop()`. */
export type ActorClass = new (options: never, context: ActorContext) => object;

/** An actor class loaded only by the worker that runs it (see `lazy`). */
export interface LazyActorClass {
  load(): Promise<ActorClass>;
}

/**
 * Declares an actor class that a worker imports only when it runs that
 * actor: `lazy(() => import('./my-imap.js').then((m) => m.MyImap))`. Every
 * worker imports the app module; with lazy classes, a worker does not pay
 * for the modules of the other workers' actors (start-up time).
 */
export function lazy(load: () => Promise<ActorClass>): LazyActorClass {
  return { load };
}

/**
 * An app: a module whose default export is `defineApp({...})`. Every worker
 * imports the module and builds its actor from `actors[key]`; `build` and
 * `run` happen on the main thread only.
 */
export interface AppDefinition<Args = string[]> {
  name: string;
  description?: string;
  /** Actor classes by key, or `lazy(...)` loaders of them. */
  actors: Record<string, ActorClass | LazyActorClass>;
  /** Turns command-line arguments into the app's arguments (throw ConfigError on bad input). */
  parseArgs?(argv: string[]): Args | Promise<Args>;
  /**
   * Called before anything is built or started: a chance to have the work
   * done elsewhere (a one-shot run handing its pass to a running daemon, see
   * contrib's handOffToDaemon). A number is the run's exit code and nothing
   * starts; undefined runs the app as usual.
   */
  handOff?(args: Args): Promise<number | undefined>;
  /** Declares managers, actors and channels, before anything starts. Also used by `imapfw graph`. */
  build(runtime: Runtime, args: Args): void | Promise<void>;
  /** Does the work once every worker is ready; returns the process exit code. */
  run(runtime: Runtime, args: Args): Promise<number>;
}

export function defineApp<Args = string[]>(app: AppDefinition<Args>): AppDefinition<Args> {
  return app;
}
