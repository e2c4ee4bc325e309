import type { Backend } from './topology.js';
import { MAIN } from './topology.js';
import type { PoolBackend } from './backends/pool.js';
import { startThread } from './backends/thread.js';
import { startInline } from './backends/inline.js';
import type { StartWorker } from './backends/handle.js';
import type { Runtime } from './runtime.js';
import type { LoggerActorOptions } from '../logging/logger-actor.js';

export interface ManagerOptions {
  /** Where this manager's workers run (default 'thread'). */
  backend?: Backend;
  /** Threads of the pool backend (default: one per actor of this manager). */
  poolSize?: number;
  /** Actors one pool thread hosts at once (default 1). Actors that mostly wait on I/O can share a thread. */
  tasksPerThread?: number;
  /** The worker hosting this manager's actors (default: a worker per actor); see Placement. */
  host?: string;
}

/**
 * Where one actor runs: its backend, and the worker hosting it. Actors with
 * the same host share one worker and call each other directly; `host: 'main'`
 * is the main thread (the inline backend).
 */
export interface Placement {
  backend?: Backend;
  host?: string;
}

/** Declares, starts, stops and joins a group of workers of one kind. */
export class WorkerManager {
  readonly actors: string[] = [];
  private pool: PoolBackend | undefined;

  constructor(
    readonly kind: string,
    protected readonly runtime: Runtime,
    protected readonly options: ManagerOptions = {},
  ) {
    runtime.register(this);
  }

  /** Declares an actor: `key` names its class in the app module's `actors`; a Backend or a Placement says where it runs. */
  add(name: string, key: string, options: unknown = {}, where: Backend | Placement = {}): this {
    const placement = typeof where === 'string' ? { backend: where } : where;
    const host = placement.host ?? this.options.host;
    const backend = host === MAIN ? 'inline' : (placement.backend ?? this.options.backend ?? 'thread');
    this.runtime.topology.declareActor({ name, key, options, backend, manager: this.kind, ...(host ? { host } : {}) });
    this.actors.push(name);
    return this;
  }

  /**
   * Starts the workers hosting this manager's actors (a worker shared with
   * another manager's actors starts once); resolves when all are ready.
   */
  async start(): Promise<void> {
    const topology = this.runtime.topology;
    const workers = new Set(this.actors.map((name) => topology.workerOf(name)));
    await Promise.all([...workers].map(async (worker) => this.runtime.supervisor.startWorker(worker, await this.starter(topology.actorsOn(worker)[0]!.backend))));
  }

  /** Stops every actor of this manager, letting in-flight work finish; a worker ends when all its actors have. */
  async stop(): Promise<void> {
    await Promise.all(this.actors.map((name) => this.runtime.supervisor.stop(name)));
  }

  /** Ends the pool once every manager has stopped (its threads may host other managers' actors). */
  async close(): Promise<void> {
    await this.pool?.close();
  }

  private async starter(backend: Backend): Promise<StartWorker> {
    if (backend === 'inline') return startInline;
    if (backend === 'thread') return startThread;
    // piscina is loaded only when the pool backend is used.
    const { PoolBackend } = await import('./backends/pool.js');
    const topology = this.runtime.topology;
    const pooled = new Set(this.actors.filter((a) => topology.actors.get(a)?.backend === 'pool').map((a) => topology.workerOf(a))).size;
    const tasksPerThread = this.options.tasksPerThread ?? 1;
    this.pool ??= new PoolBackend(this.options.poolSize ?? Math.ceil(pooled / tasksPerThread), tasksPerThread);
    return this.pool.start;
  }
}

/** Repositories: one actor per store connection. */
export class RepositoryManager extends WorkerManager {
  constructor(runtime: Runtime, options: ManagerOptions = {}) {
    super('repository', runtime, options);
  }
}

/** Engines: the actors that drive repositories (pool backend for per-folder work). */
export class EngineManager extends WorkerManager {
  constructor(runtime: Runtime, options: ManagerOptions = {}) {
    super('engine', runtime, options);
  }
}

export const LOGGER = 'logger';

/**
 * The logger worker (pino). At start it gets a log channel from every other
 * worker and from the main thread, so every record carries who wrote it.
 */
export class LoggerManager extends WorkerManager {
  constructor(runtime: Runtime, options: ManagerOptions & LoggerActorOptions) {
    super('logger', runtime, options);
    const { backend: _backend, poolSize: _poolSize, tasksPerThread: _tasks, host: _host, ...loggerOptions } = options;
    this.add(LOGGER, 'imapfw:logger', loggerOptions);
    runtime.beforeSeal(() => {
      for (const actor of [MAIN, ...runtime.topology.actors.keys()]) {
        if (actor !== LOGGER) runtime.topology.connect(actor, LOGGER, `log:${actor}`, 'log');
      }
    });
  }
}
