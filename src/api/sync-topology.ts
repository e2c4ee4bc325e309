import { EngineManager, LoggerManager, RepositoryManager, type ManagerOptions } from '../core/runtime/managers.js';
import type { Runtime } from '../core/runtime/runtime.js';
import { MAIN, type Backend } from '../core/runtime/topology.js';
import type { LoggerActorOptions } from '../core/logging/logger-actor.js';
import type { SyncAccountOptions } from './engines/sync-account.js';
import type { SyncFolderOptions } from './engines/sync-folder.js';

/** An actor to declare: its class's key in the app's `actors`, and its options. */
export interface ActorSpec<Options = unknown> {
  key: string;
  options: Options;
}

/** A repository side: one actor per connection, or one `shared` by every engine (a store without connections, e.g. a Maildir). */
export interface RepositorySpec extends ActorSpec {
  shared?: boolean;
  /**
   * Threads this side's per-connection actors share (default 1): a connection
   * mostly waits on the network, and every thread imports the actor's class
   * again (imapflow: about 0.25 s of CPU and 25 MB each).
   */
  threads?: number;
}

/**
 * Which worker hosts each part of an account: actors on one worker share a
 * thread and call each other directly (no MessagePort, no clone); 'main' is
 * the main thread. Worker names get the account's prefix ('main' and the
 * logger's do not). A part left out gets the layout of `backends`.
 */
export interface SyncPlacement {
  /** Every connection of the side. */
  left?: string;
  right?: string;
  /** The folder engines and the account engine. */
  engines?: string;
  state?: string;
  logger?: string;
}

/**
 * The shipped apps' placement, chosen by measurement (docs/performance.md, "Placement"):
 * the connections, the Maildir writer and the engines of an account in one
 * worker, so bodies go from the IMAP connection to the writer without a
 * clone; the state store in a thread of its own, so its fsyncs do not block
 * the copy; the logger on the main thread, which mostly waits.
 */
export const SHIPPED_PLACEMENT: SyncPlacement = { left: 'io', right: 'io', engines: 'io', state: 'state', logger: 'main' };

/**
 * Every actor on the thread that declares the runtime: no MessagePort, no
 * clone, no thread to start, no module loaded twice. What a one-shot mirror
 * or sync uses (docs/performance.md, "Placement": a rerun costs about two thirds of the
 * CPU of SHIPPED_PLACEMENT's three threads and 30 MB less, and a first copy
 * is not slower, since it ran on one thread anyway), and a runtime per
 * account inside a thread that hosts several accounts (migrate's account
 * threads).
 */
export const INLINE_PLACEMENT: SyncPlacement = { left: MAIN, right: MAIN, engines: MAIN, state: MAIN, logger: MAIN };

export interface SyncTopologySpec {
  /** One repository actor per connection on each side ('left' is the server in shipped apps). */
  left: RepositorySpec;
  right: RepositorySpec;
  state: ActorSpec;
  engine: ActorSpec<Omit<SyncFolderOptions, 'left' | 'right' | 'state'>>;
  account: ActorSpec<Omit<SyncAccountOptions, 'left' | 'right' | 'state' | 'engines'>>;
  /** Folders synced at once: one SyncFolder engine and one connection per side each. */
  connections: number;
  logger?: LoggerActorOptions;
  /** Where the actors run without a placement (default: repositories in threads, engines in a pool). */
  backends?: { repositories?: Backend; engines?: Backend };
  /** Which worker hosts each part (see SyncPlacement); default SHIPPED_PLACEMENT unless `backends` is given. */
  placement?: SyncPlacement;
  /** Threads the engines share (default 1: engines mostly wait on repositories). */
  engineThreads?: number;
  /** Prefix of every actor name, to declare several accounts in one app ('work/'). */
  prefix?: string;
  /**
   * A daemon's actors (`--watch`): `server`, an ImapWatch (its own
   * connection, for IDLE or NOTIFY); `local`, the main thread also hears the
   * right side's changes (a shared MaildirRepository).
   */
  watch?: { server?: ActorSpec; local?: boolean };
}

export interface SyncTopology {
  /** The SyncAccount actor: the main thread calls its `run()`. */
  account: string;
  /** The SyncFolder actors: the main thread polls their `progress()`. */
  engines: string[];
  /** A daemon's actors the main thread calls (see SyncTopologySpec.watch). */
  watch?: { server?: string; local?: string };
  /** Every actor declared for the account (not the logger), in declaration order: what Runtime.stopActors stops when a daemon drops it. */
  actors: string[];
}

/**
 * Declares the topology every shipped app uses, for any pair of
 * repositories: `connections` engines, each with its own connection to each
 * side and a channel to the state; the account engine, which lists folders
 * (on the first connections) and hands folders out to the engines; the
 * logger. Apps pass their own classes by key, so a user's app reuses it with
 * its own repositories.
 *
 *   main -> account -> engine-i -> left-i, right-i, state
 *
 * Where they run: `placement` (SHIPPED_PLACEMENT unless `backends` is
 * given). Without one, engines share one pool thread (they orchestrate, the
 * repositories do the I/O in their own threads) and a side's per-connection
 * repositories share one thread too (RepositorySpec.threads).
 */
export function declareSyncTopology(runtime: Runtime, spec: SyncTopologySpec): SyncTopology {
  const placement = spec.placement ?? (spec.backends ? {} : SHIPPED_PLACEMENT);
  const p = spec.prefix ?? '';
  const placed = (part: keyof SyncPlacement, prefix = p): ManagerOptions | undefined => {
    const host = placement[part];
    return host === undefined ? undefined : { host: host === MAIN ? MAIN : `${prefix}${host}` };
  };
  if (spec.logger) new LoggerManager(runtime, { ...(placed('logger', '') ?? { backend: 'thread' }), ...spec.logger });
  const before = new Set(runtime.topology.actors.keys());
  const backend = spec.backends?.repositories ?? 'thread';
  const repositories = new RepositoryManager(runtime, { backend });
  const count = Math.max(1, spec.connections);
  const sideManager = (side: 'left' | 'right') => {
    const host = placed(side);
    if (host) return new RepositoryManager(runtime, host);
    const threads = Math.max(1, Math.min(spec[side].threads ?? 1, count));
    if (backend !== 'thread' || spec[side].shared || threads === count) return repositories;
    return new RepositoryManager(runtime, { backend: 'pool', poolSize: threads, tasksPerThread: Math.ceil(count / threads) });
  };
  const sides = { left: sideManager('left'), right: sideManager('right') };
  const threads = Math.max(1, Math.min(spec.engineThreads ?? 1, count + 1));
  const engines = new EngineManager(runtime, placed('engines') ?? { backend: spec.backends?.engines ?? 'pool', poolSize: threads, tasksPerThread: Math.ceil((count + 1) / threads) });
  const state = `${p}state`;
  const account = `${p}account`;
  const engineNames: string[] = [];
  const sideActor = (side: 'left' | 'right', i: number) => `${p}${side}-${spec[side].shared ? 0 : i}`;

  repositories.add(state, spec.state.key, spec.state.options, placed('state') ?? {});
  for (let i = 0; i < count; i++) {
    const [left, right, engine] = [sideActor('left', i), sideActor('right', i), `${p}engine-${i}`];
    if (i === 0 || !spec.left.shared) sides.left.add(left, spec.left.key, spec.left.options);
    if (i === 0 || !spec.right.shared) sides.right.add(right, spec.right.key, spec.right.options);
    engines.add(engine, spec.engine.key, { ...spec.engine.options, left, right, state });
    engineNames.push(engine);
    for (const peer of [left, right, state]) runtime.topology.connect(engine, peer);
    runtime.connectMain(engine);
  }
  engines.add(account, spec.account.key, { ...spec.account.options, left: `${p}left-0`, right: `${p}right-0`, state, engines: engineNames });
  for (const peer of [`${p}left-0`, `${p}right-0`, state, ...engineNames]) runtime.topology.connect(account, peer);
  runtime.connectMain(account);
  const watch: SyncTopology['watch'] = {};
  if (spec.watch?.server) {
    watch.server = `${p}watch`;
    // With the connections (placement 'left'): a thread of its own would import the IMAP client again for one idle connection.
    repositories.add(watch.server, spec.watch.server.key, spec.watch.server.options, placed('left') ?? {});
    runtime.connectMain(watch.server);
  }
  if (spec.watch?.local) {
    watch.local = sideActor('right', 0);
    runtime.connectMain(watch.local);
  }
  const actors = [...runtime.topology.actors.keys()].filter((name) => !before.has(name));
  return { account, engines: engineNames, ...(spec.watch ? { watch } : {}), actors };
}
