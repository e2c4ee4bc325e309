// readQueueStatus reads a queue that moves while it reads: whenever jobs move on between its reads, it must never
// say "none waiting, none running" while a job is neither complete nor failed (`migrate status --watch`, a batch's
// end). A queue stub whose jobs move at a chosen call, every call in turn.
import type { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { readQueueStatus } from '../../src/apps/migrate/queue/status.js';

type State = 'waiting' | 'active' | 'completed' | 'failed' | 'delayed';

/** A queue of `jobs` (name -> state) whose jobs take their `after` states once `movesAt` calls were answered. */
function movingQueue(jobs: Record<string, State>, after: Record<string, State>, movesAt: number): Queue {
  let calls = 0;
  const now = () => (calls++ >= movesAt ? { ...jobs, ...after } : jobs);
  const job = (name: string) => ({ data: { account: { name } }, progress: 0, failedReason: 'refused', attemptsMade: 1 });
  const stub = {
    async getJobs(types: State[]) {
      const states = now();
      return Object.keys(states).filter((name) => types.includes(states[name]!)).map(job);
    },
    async getJobCounts(...types: string[]) {
      const states = Object.values(now());
      return Object.fromEntries(types.map((type) => [type, states.filter((state) => state === type).length]));
    },
    async getWorkersCount() {
      return 1;
    },
  };
  return stub as unknown as Queue;
}

const before: Record<string, State> = { a: 'completed', b: 'active', c: 'active', d: 'waiting', e: 'failed' };
const moves: Record<string, Record<string, State>> = {
  'two running jobs finish': { b: 'completed', c: 'completed' },
  'a waiting job starts and another finishes': { b: 'completed', d: 'active' },
  'a running job fails and a waiting one starts': { b: 'failed', d: 'active' },
  'a running job goes back to wait for a retry': { b: 'delayed' },
  'everything ends': { b: 'completed', c: 'failed', d: 'completed' },
};

describe('readQueueStatus on a queue that moves while it is read', () => {
  for (const [what, after] of Object.entries(moves)) {
    it(`${what}: "nothing left" only when every job is complete or failed`, async () => {
      const end = { ...before, ...after };
      for (let movesAt = 0; movesAt <= 5; movesAt++) {
        const status = await readQueueStatus(movingQueue(before, after, movesAt));
        if (status.waiting === 0 && status.running.length === 0) {
          expect(status.complete + status.failed.length, `moved after call ${movesAt}`).toBe(Object.keys(end).length);
        }
        // Every job is seen somewhere.
        const seen = status.waiting + status.running.length + status.complete + status.failed.length;
        expect(seen, `moved after call ${movesAt}: ${JSON.stringify(status)}`).toBeGreaterThanOrEqual(Object.keys(end).length);
      }
    });
  }
});
