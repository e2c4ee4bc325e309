import { describe, expect, it } from 'vitest';
import { WorkerFailedError } from '../../src/core/runtime/supervisor.js';
import type { Caller, Echo } from './fixtures/echo-app.js';
import { eventually, startEcho } from './support.js';

const failures = [
  ['an uncaught exception', 'crashLater', /boom/],
  ['an unhandled rejection', 'rejectLater', /rejected/],
  ['process.exit(1)', 'exitNow', /exit|code 1/i],
] as const;

describe.each(['thread', 'pool'] as const)('error link on the %s backend', (backend) => {
  it.each(failures)('%s reaches the main thread and every worker stops within 1 s', async (_what, method, message) => {
    const runtime = await startEcho({ backend });
    const echo = runtime.client<Echo>('echo');
    await echo[method]();
    const failure = await runtime.supervisor.failure.catch((e: unknown) => e);
    const failedAt = Date.now();
    expect(failure).toBeInstanceOf(WorkerFailedError);
    const record = (failure as WorkerFailedError).record;
    expect(record.worker).toBe('echo');
    expect(record.message).toMatch(message);
    await runtime.stop();
    expect(runtime.supervisor.alive).toEqual([]);
    expect(Date.now() - failedAt).toBeLessThan(1_000);
    // A call to a failed app is refused rather than left hanging.
    await expect(runtime.client<Echo>('echo').echo('late')).rejects.toBeInstanceOf(WorkerFailedError);
  });
});

describe('restart policy', () => {
  it('restarts a failing worker with backoff and gives up after the limit', async () => {
    const runtime = await startEcho({ backend: 'thread' }, { kind: 'restart', maxRestarts: 2, initialDelayMs: 20 });
    const records: string[] = [];
    runtime.supervisor.onRecord = (record) => records.push(record.kind);
    const echo = runtime.client<Echo>('echo');
    for (const round of [1, 2]) {
      await echo.crashLater();
      expect(await eventually(() => (records.length === round ? true : undefined))).toBe(true);
      // Each restart comes up healthy and serves again.
      expect(await eventually(() => echo.echo(`round ${round}`))).toBe(`echo:round ${round}`);
      expect(runtime.supervisor.failedWith).toBeUndefined();
    }
    // The third failure is over the limit: the app fails.
    await echo.crashLater();
    await expect(runtime.supervisor.failure).rejects.toBeInstanceOf(WorkerFailedError);
    expect(records).toEqual(['exception', 'exception', 'exception']);
    await runtime.stop();
    expect(runtime.supervisor.alive).toEqual([]);
  });

  it('a peer actor keeps talking to the restarted worker', async () => {
    const runtime = await startEcho({ backend: 'thread' }, { kind: 'restart', maxRestarts: 1, initialDelayMs: 10 });
    const records: string[] = [];
    runtime.supervisor.onRecord = (record) => records.push(record.kind);
    await runtime.client<Echo>('echo').crashLater();
    expect(await eventually(() => (records.length === 1 ? true : undefined))).toBe(true);
    expect(await eventually(() => runtime.client<Caller>('caller').relay('x'))).toBe('echo:x');
    await runtime.stop();
  });

  it('a main-thread client first used while its actor is down for a restart is refused, not left hanging', async () => {
    const runtime = await startEcho({ backend: 'thread', host: 'shared' }, { kind: 'restart', maxRestarts: 1, initialDelayMs: 2_000 });
    const records: string[] = [];
    runtime.supervisor.onRecord = (record) => records.push(record.kind);
    await runtime.client<Echo>('echo').crashLater();
    expect(await eventually(() => (records.length === 2 ? true : undefined))).toBe(true);
    // The main thread never called caller before: its client is made now, on a channel whose other end is gone.
    await expect(runtime.client<Caller>('caller').relay('x')).rejects.toThrow(/stopped/);
    await runtime.stop();
  });
});
