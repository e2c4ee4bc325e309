import { expect, it, vi } from 'vitest';
import echoApp from './fixtures/echo-app.js';
import { echoModule } from './support.js';
import { Runtime } from '../../src/core/runtime/runtime.js';
import type { ErrorRecord } from '../../src/core/runtime/link.js';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The pool backend is imported on first use; on a busy machine that takes a while. Here it takes 800 ms.
vi.mock('../../src/core/runtime/backends/pool.js', async (importOriginal) => {
  await delay(800);
  return importOriginal();
});

it('stop() while a backend is still loading: no worker starts after it, and none is reported failed', async () => {
  const runtime = new Runtime({ appModule: echoModule });
  await echoApp.build(runtime, { backend: 'pool' });
  const records: ErrorRecord[] = [];
  const onRecord = runtime.supervisor.onRecord;
  runtime.supervisor.onRecord = (record) => {
    records.push(record);
    onRecord(record);
  };
  const starting = runtime.start();
  starting.catch(() => {});
  await delay(100);
  await runtime.stop();
  await expect(starting).rejects.toThrow(/stopped while its actors started/);
  // The backend has loaded by now: a launch after the stop would have posted the stopped ports (DataCloneError) or started a worker nobody stops.
  await delay(1_500);
  expect(runtime.supervisor.alive).toEqual([]);
  expect(records).toEqual([]);
});
