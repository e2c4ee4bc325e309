import type { MessagePort } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { requireOnUse } from '../../require-on-use.js';
import type { HostInit } from '../worker-host.js';
import { bootSpec, WORKER_RESOURCE_LIMITS } from './boot.js';
import type { StartWorker, WorkerExit } from './handle.js';

/**
 * A piscina pool hosting workers, one task per worker (its actors) for its
 * life. Threads times tasks per thread bounds how many run at once; the
 * others queue.
 * `atomics: 'disabled'`: piscina's default parks an idle worker in
 * Atomics.wait, which freezes a long-lived task's event loop.
 */
export class PoolBackend {
  private pool: Piscina | undefined;

  constructor(
    private readonly size: number,
    /** Actors one thread hosts at once (they mostly wait on I/O). */
    private readonly tasksPerThread = 1,
  ) {}

  readonly start: StartWorker = (init: HostInit, transfer: MessagePort[]) => {
    this.pool ??= this.newPool(init);
    // piscina runs an abortable task alone on its thread: only threads hosting one actor can end one actor.
    const abort = this.tasksPerThread === 1 ? new AbortController() : undefined;
    const done: Promise<WorkerExit> = this.pool.run(init, { transferList: transfer as never, ...(abort ? { signal: abort.signal } : {}) }).then(
      () => ({ code: 0 }),
      (error: unknown) => ({ code: 1, error }),
    );
    return {
      done,
      terminate: async () => {
        if (abort) abort.abort();
        else await this.close();
        await done;
      },
    };
  };

  /** The pool, made on the first start: its workers boot the app module of the first actor they host. */
  private newPool(init: HostInit): Piscina {
    const { filename, entry, tsx } = bootSpec(init.actors[0]!.appModule);
    const { Piscina: Pool } = requireOnUse('piscina') as typeof import('piscina');
    return new Pool({
      filename,
      workerData: { imapfw: { mode: 'pool', entry, tsx } },
      minThreads: 0,
      maxThreads: Math.max(1, this.size),
      idleTimeout: 1_000,
      atomics: 'disabled',
      resourceLimits: WORKER_RESOURCE_LIMITS,
      concurrentTasksPerWorker: Math.max(1, this.tasksPerThread),
    });
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
    this.pool = undefined;
  }
}
