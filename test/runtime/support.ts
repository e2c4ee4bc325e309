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
