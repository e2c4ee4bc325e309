/**
 * A worker that ends before it was ever ready, once the runtime is stopping:
 * a pool task that waited for a thread while the stop ended its peers gets
 * their closed ports and fails to be posted (DataCloneError). That is the
 * stop's doing, not a failure to report; a worker that posted why it failed
 * is still reported.
 */
import { expect, it } from 'vitest';
import type { WorkerExit } from '../../src/core/runtime/backends/handle.js';
import type { ErrorRecord } from '../../src/core/runtime/link.js';
import { Supervisor } from '../../src/core/runtime/supervisor.js';
import { Topology } from '../../src/core/runtime/topology.js';

function queuedWorker() {
  const topology = new Topology();
  topology.declareActor({ name: 'echo', key: 'echo', options: {}, backend: 'pool', manager: 'repository' });
  topology.seal();
  const supervisor = new Supervisor(topology, 'unused');
  const records: ErrorRecord[] = [];
  supervisor.onRecord = (record) => records.push(record);
  let end!: (exit: WorkerExit) => void;
  const done = new Promise<WorkerExit>((resolve) => (end = resolve));
  const starting = supervisor.startWorker('echo', () => ({ done, terminate: async () => end({ code: 1 }) }));
  starting.catch(() => {});
  return { supervisor, records, end, starting };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 1_200));

it('a worker never ready that ends without a word while the runtime stops is not reported as failed', async () => {
  const { supervisor, records, end, starting } = queuedWorker();
  supervisor.refuseStarts();
  end({ code: 1, error: new DOMException('MessagePort in transfer list is already detached', 'DataCloneError') });
  await expect(starting).rejects.toThrow(/stopping/);
  await settle();
  expect(records).toEqual([]);
});

it('the same end while the runtime runs is a failure, reported with its cause', async () => {
  const { records, end, starting } = queuedWorker();
  end({ code: 1, error: new DOMException('MessagePort in transfer list is already detached', 'DataCloneError') });
  await expect(starting).rejects.toThrow(/already detached/);
  await settle();
  expect(records.map((record) => [record.worker, record.name])).toEqual([['echo', 'DataCloneError']]);
});
