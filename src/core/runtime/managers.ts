import type { Backend } from './topology.js';
import { MAIN } from './topology.js';
import { PoolBackend } from './backends/pool.js';
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

  /** Declares an actor: `key` names its class in the app module's `actors`. */
  add(name: string, key: string, options: unknown = {}, backend: Backend = this.options.backend ?? 'thread'): this {
    this.runtime.topology.declareActor({ name, key, options, backend, manager: this.kind });
    this.actors.push(name);
    return this;
  }

  /** Starts every worker of this manager; resolves when all are ready. */
  async start(): Promise<void> {
    await Promise.all(
      this.actors.map((name) => {
        const declaration = this.runtime.topology.actors.get(name)!;
        return this.runtime.supervisor.start(declaration, this.starter(declaration.backend));
      }),
    );
  }

  /** Stops every worker of this manager, letting in-flight work finish. */
  async stop(): Promise<void> {
    await Promise.all(this.actors.map((name) => this.runtime.supervisor.stop(name)));
    await this.pool?.close();
  }

  private starter(backend: Backend): StartWorker {
    if (backend === 'inline') return startInline;
    if (backend === 'thread') return startThread;
    const pooled = this.actors.filter((a) => this.runtime.topology.actors.get(a)?.backend === 'pool').length;
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
    const { backend: _backend, poolSize: _poolSize, tasksPerThread: _tasks, ...loggerOptions } = options;
    this.add(LOGGER, 'imapfw:logger', loggerOptions);
    runtime.beforeSeal(() => {
      for (const actor of [MAIN, ...runtime.topology.actors.keys()]) {
        if (actor !== LOGGER) runtime.topology.connect(actor, LOGGER, `log:${actor}`, 'log');
      }
    });
  }
}
