import { setTimeout as sleep } from 'node:timers/promises';
import type { AppDefinition } from '../../api/app.js';
import { exitCodeFor, ExitCode } from '../../api/exit-codes.js';
import { ConfigError } from '../../api/errors.js';
import { forTerminal } from '../output/for-terminal.js';
import type { SupervisorPolicy } from './supervisor.js';

/** Lets the compiled CLI import a user's TypeScript app or config module. */
export async function enableTypeScript(moduleUrl: string): Promise<void> {
  if (!/\.[cm]?ts$/.test(moduleUrl) || /\.[cm]?ts$/.test(import.meta.url)) return;
  const { register } = await import('tsx/esm/api');
  register();
}

/** Imports an app module and returns its definition. */
export async function loadApp(moduleUrl: string): Promise<AppDefinition<unknown>> {
  await enableTypeScript(moduleUrl);
  const module = (await import(moduleUrl)) as { default?: AppDefinition<unknown> };
  const app = module.default;
  if (!app || typeof app.build !== 'function' || typeof app.run !== 'function' || !app.actors) {
    throw new ConfigError(`${moduleUrl} does not export an app: its default export must be defineApp({ name, actors, build, run })`);
  }
  return app;
}

/**
 * Runs an app to its end and returns the exit code: builds the topology,
 * starts every worker, runs, stops every worker. SIGINT and SIGTERM stop
 * the workers cleanly (in-flight writes finish) and give 130 / 143; a run
 * that registered runtime.onInterrupt winds down by itself first, unless
 * a second signal comes.
 */
export async function runApp(moduleUrl: string, argv: string[], policy?: SupervisorPolicy): Promise<number> {
  const app = await loadApp(moduleUrl);
  let args: unknown;
  try {
    args = app.parseArgs ? await app.parseArgs(argv) : argv;
    const handedOff = await app.handOff?.(args);
    if (handedOff !== undefined) return handedOff;
  } catch (error) {
    process.stderr.write(`imapfw ${app.name}: ${forTerminal((error as Error).message)}\n`);
    return exitCodeFor(error);
  }
  // Loaded only now: a run handed off above never pays for the runtime's modules.
  const { Runtime } = await import('./runtime.js');
  const runtime = new Runtime({ appModule: moduleUrl, ...(policy ? { policy } : {}) });
  let signalled: number | undefined;
  let interrupt: (code: number) => void = () => {};
  const interrupted = new Promise<number>((resolve) => (interrupt = resolve));
  let stopping: Promise<void> | undefined;
  let running: Promise<number> | undefined;
  const stop = () => (stopping ??= runtime.stop());
  const onSignal = (signal: NodeJS.Signals) => {
    const first = signalled === undefined;
    signalled ??= signal === 'SIGINT' ? ExitCode.INTERRUPTED : ExitCode.TERMINATED;
    // A run that winds down by itself (onInterrupt) finishes its writes and prints what it did; a second signal stops it.
    if (first && runtime.interrupt()) {
      process.stderr.write(`\nimapfw ${app.name}: ${signal}: finishing the writes in flight (${signal} again to stop sooner)\n`);
      process.exitCode = signalled;
      return;
    }
    process.stderr.write(`\nimapfw ${app.name}: ${signal}: stopping after the writes in flight\n`);
    // Should nothing be left to wait for before runApp returns (a run that waits on nothing but the signal),
    // Node exits with this code rather than 13, its code for a top-level await left unsettled.
    process.exitCode = signalled;
    interrupt(signalled);
    void stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await app.build(runtime, args);
    // A signal while the actors start stops the runtime, which ends the start (caught below).
    await runtime.guard(runtime.start());
    running = runtime.guard(app.run(runtime, args));
    const code = await Promise.race([running, interrupted]);
    return signalled ?? code;
  } catch (error) {
    if (signalled !== undefined) return signalled;
    process.stderr.write(`imapfw ${app.name}: ${forTerminal((error as Error).message)}\n`);
    return exitCodeFor(error);
  } finally {
    await stop();
    // After a signal the app's run may still be winding down what it started beside this runtime (a daemon's
    // reloaded accounts, a batch's other migrations): their locks are released before the command returns.
    if (signalled !== undefined && running) await Promise.race([running.catch(() => {}), sleep(RUN_SETTLE_MS, undefined, { ref: false })]);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** How long a signalled command waits for the app's run to wind down once its runtime has stopped (the timer does not keep the process alive). */
const RUN_SETTLE_MS = 10_000;
