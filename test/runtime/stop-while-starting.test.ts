import { expect, it } from 'vitest';
import echoApp from './fixtures/echo-app.js';
import { echoModule } from './support.js';
import { RuntimeError } from '../../src/api/errors.js';
import { Runtime } from '../../src/core/runtime/runtime.js';

it.each(['thread', 'pool', 'inline'] as const)('stop() while an actor is still starting (%s) ends the start with a RuntimeError and stops it', async (backend) => {
  const runtime = new Runtime({ appModule: echoModule });
  await echoApp.build(runtime, { backend, slowStart: true });
  const starting = runtime.start();
  starting.catch(() => {});
  // echo takes 1.5 s to start: stopped well before it is ready.
  await new Promise((resolve) => setTimeout(resolve, 300));
  await runtime.stop();
  await expect(starting).rejects.toThrow(RuntimeError);
  await expect(starting).rejects.toThrow(/stopped while its actors started/);
  expect(runtime.supervisor.alive).toEqual([]);
});

it('start() after stop() is refused rather than starting actors nobody will stop', async () => {
  const runtime = new Runtime({ appModule: echoModule });
  await echoApp.build(runtime, { backend: 'inline' });
  await runtime.stop();
  await expect(runtime.start()).rejects.toThrow(/stopped before it started/);
});
