import { workerData } from 'node:worker_threads';
import { hostWorker, postThreadFailure, type HostInit, type WorkerInit } from './worker-host.js';
import type { ErrorRecord } from './link.js';

/**
 * Entry of a worker thread, on the thread and pool backends (loaded by
 * bin/worker-boot.mjs). An uncaught exception or unhandled rejection is
 * posted on the error link of every actor this thread hosts, then the thread
 * exits non-zero; the main thread also sees the exit, so no death is silent.
 */
const hosted = new Map<string, WorkerInit>();

function report(kind: ErrorRecord['kind'], error: unknown): void {
  postThreadFailure(hosted.values(), kind, error);
  // Let the link deliver the record before the thread goes.
  setImmediate(() => process.exit(1));
}

process.on('uncaughtException', (error) => report('exception', error));
process.on('unhandledRejection', (error) => report('rejection', error));

async function host(init: HostInit): Promise<void> {
  for (const actor of init.actors) hosted.set(actor.actor.name, actor);
  try {
    await hostWorker(init);
  } finally {
    for (const actor of init.actors) hosted.delete(actor.actor.name);
  }
}

/** The piscina task: hosts a worker's actors until the main thread stops them. */
export default host;

const boot = (workerData as { imapfw?: { mode: string; init?: HostInit } } | null)?.imapfw;
if (boot?.mode === 'thread' && boot.init) {
  // Start-up failures were reported on the link; the exit code tells the rest.
  host(boot.init).catch(() => process.exit(1));
}
