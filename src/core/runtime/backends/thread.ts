import { Worker, type MessagePort } from 'node:worker_threads';
import type { WorkerInit } from '../worker-host.js';
import { bootSpec, WORKER_RESOURCE_LIMITS } from './boot.js';
import type { WorkerExit, WorkerHandle } from './handle.js';

/** An actor in its own worker_threads.Worker. */
export function startThread(init: WorkerInit, transfer: MessagePort[]): WorkerHandle {
  const { filename, entry, tsx } = bootSpec(init.appModule);
  const worker = new Worker(filename, {
    name: init.actor.name,
    workerData: { imapfw: { mode: 'thread', entry, tsx, init } },
    transferList: transfer,
    resourceLimits: WORKER_RESOURCE_LIMITS,
  });
  let failure: unknown;
  worker.on('error', (error) => {
    failure = error;
  });
  const done = new Promise<WorkerExit>((resolve) => {
    worker.on('exit', (code) => resolve(failure === undefined ? { code } : { code: code || 1, error: failure }));
  });
  return {
    done,
    async terminate() {
      await worker.terminate();
    },
  };
}
