import { hostWorker, type HostInit } from '../worker-host.js';
import type { WorkerExit, WorkerHandle } from './handle.js';

/**
 * Actors on the main thread, behind the same channels (direct calls among
 * themselves): for debugging and deterministic tests. They cannot be killed,
 * only asked to stop.
 */
export function startInline(init: HostInit): WorkerHandle {
  const done: Promise<WorkerExit> = hostWorker(init).then(
    () => ({ code: 0 }),
    (error: unknown) => ({ code: 1, error }),
  );
  return {
    done,
    async terminate() {
      for (const actor of init.actors) {
        for (const binding of actor.ports) binding.port.close();
        actor.link.close();
      }
    },
  };
}
