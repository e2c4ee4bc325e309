import { Worker, type MessagePort } from 'node:worker_threads';
import type { HostInit } from '../worker-host.js';
import { bootSpec, WORKER_RESOURCE_LIMITS } from './boot.js';
import type { WorkerExit, WorkerHandle } from './handle.js';

/** A worker_threads.Worker hosting one or more actors. */
export function startThread(init: HostInit, transfer: MessagePort[]): WorkerHandle {
  const { filename, entry, tsx } = bootSpec(init.actors[0]!.appModule);
  const worker = new Worker(filename, {
    name: init.worker,
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
