import echoApp, { type EchoArgs } from './fixtures/echo-app.js';
import { Runtime } from '../../src/core/runtime/runtime.js';
import type { SupervisorPolicy } from '../../src/core/runtime/supervisor.js';

export const echoModule = new URL('./fixtures/echo-app.ts', import.meta.url).href;

/** Builds and starts the echo app on the main thread of the test. */
export async function startEcho(args: EchoArgs, policy?: SupervisorPolicy): Promise<Runtime> {
  const runtime = new Runtime({ appModule: echoModule, ...(policy ? { policy } : {}) });
  await echoApp.build(runtime, args);
  await runtime.start();
  return runtime;
}

/** Polls `probe` until it gives a value (a call to a restarting worker fails meanwhile). */
export async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined): Promise<T | undefined> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const value = await Promise.resolve(probe()).catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}
