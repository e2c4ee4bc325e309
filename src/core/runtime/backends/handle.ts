import type { MessagePort } from 'node:worker_threads';
import type { HostInit } from '../worker-host.js';

/** How a worker ended: `expected` when the main thread had asked it to stop. */
export interface WorkerExit {
  code: number;
  error?: unknown;
}

/** One running worker (its actors) on some backend. */
export interface WorkerHandle {
  /** Resolves when the worker has ended, however it ended. */
  readonly done: Promise<WorkerExit>;
  /** Ends the worker now, without waiting for it. */
  terminate(): Promise<void>;
}

export type StartWorker = (init: HostInit, transfer: MessagePort[]) => WorkerHandle;
