import { hostWorker, postThreadFailure, type HostInit, type WorkerInit } from '../worker-host.js';
import type { WorkerExit, WorkerHandle } from './handle.js';

/** The inline actors hosted now, in every runtime of this thread. */
const hosted = new Set<WorkerInit>();

/**
 * An uncaught exception or unhandled rejection while inline actors run is
 * theirs to answer for (the thread cannot tell whose it was): it goes on the
 * error link of each, as a worker's would, so the supervisor applies its
 * policy and the app exits naming them, instead of the thread dying with a
 * bare stack trace.
 */
const onException = (error: unknown) => postThreadFailure(hosted, 'exception', error);
const onRejection = (error: unknown) => postThreadFailure(hosted, 'rejection', error);

function track(actors: readonly WorkerInit[]): () => void {
  if (hosted.size === 0) {
    process.on('uncaughtException', onException);
    process.on('unhandledRejection', onRejection);
  }
  for (const actor of actors) hosted.add(actor);
  return () => {
    for (const actor of actors) hosted.delete(actor);
    if (hosted.size === 0) {
      process.off('uncaughtException', onException);
      process.off('unhandledRejection', onRejection);
    }
  };
}

/**
 * Actors on the thread that runs the runtime (the main thread of an app),
 * behind the same channels (direct calls among themselves): no worker to
 * boot, no module loaded twice. They cannot be killed, only asked to stop.
 */
export function startInline(init: HostInit): WorkerHandle {
  const untrack = track(init.actors);
  const done: Promise<WorkerExit> = hostWorker(init).then(
    () => ({ code: 0 }),
    (error: unknown) => ({ code: 1, error }),
  );
  void done.finally(untrack);
  return {
    done,
    async terminate() {
      untrack();
      for (const actor of init.actors) {
        for (const binding of actor.ports) binding.port.close();
        actor.link.close();
      }
    },
  };
}
