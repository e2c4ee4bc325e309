import type { MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { WorkerInit } from '../worker-host.js';
import { bootSpec } from './boot.js';
import type { StartWorker, WorkerExit } from './handle.js';

/**
 * A piscina pool hosting actors, one task per actor for the actor's life.
 * The pool size bounds how many of them run at once; the others queue.
 * `atomics: 'disabled'`: piscina's default parks an idle worker in
 * Atomics.wait, which freezes a long-lived task's event loop.
 */
export class PoolBackend {
  private pool: Piscina | undefined;

  constructor(private readonly size: number) {}

  readonly start: StartWorker = (init: WorkerInit, transfer: MessagePort[]) => {
    const { filename, entry, tsx } = bootSpec(init.appModule);
    this.pool ??= new Piscina({
      filename,
      workerData: { imapfw: { mode: 'pool', entry, tsx } },
      minThreads: 0,
      maxThreads: Math.max(1, this.size),
      idleTimeout: 1_000,
      atomics: 'disabled',
    });
    const abort = new AbortController();
    const done: Promise<WorkerExit> = this.pool.run(init, { transferList: transfer as never, signal: abort.signal }).then(
      () => ({ code: 0 }),
      (error: unknown) => ({ code: 1, error }),
    );
    return {
      done,
      async terminate() {
        abort.abort();
        await done;
      },
    };
  };

  async close(): Promise<void> {
    await this.pool?.destroy();
    this.pool = undefined;
  }
}
