import { hostActor, type WorkerInit } from '../worker-host.js';
import type { WorkerExit, WorkerHandle } from './handle.js';

/**
 * An actor on the main thread, behind the same channels: for debugging and
 * deterministic tests. It cannot be killed, only asked to stop.
 */
export function startInline(init: WorkerInit): WorkerHandle {
  const done: Promise<WorkerExit> = hostActor(init).then(
    () => ({ code: 0 }),
    (error: unknown) => ({ code: 1, error }),
  );
  return {
    done,
    async terminate() {
      for (const binding of init.ports) binding.port.close();
      init.link.close();
    },
  };
}
