// Helpers of the daemon's tests (`--watch`): wait for a condition by
// polling it, within a generous bound (never a timing assert), and stop a
// daemon by its own pid.
import type { RunningApp } from '../support/cli-run.js';
import { localFiles } from '../sync-app/support.js';

/**
 * Generous bounds: a change is usually there well within a second, but the
 * machines that run the suite are shared (a load of 15 on 2 cores is seen),
 * and the first pass includes the daemon's start-up.
 */
export const CHANGE_MS = 30_000;
export const START_MS = 90_000;

/** Polls `condition` every 100 ms until it holds; fails after `timeoutMs` with `what` and the last value seen. */
export async function waitFor<T>(what: string, condition: () => T | Promise<T>, timeoutMs = CHANGE_MS): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (performance.now() > deadline) throw new Error(`waited ${timeoutMs / 1000} s for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Sends `signal` to the daemon's own pid and waits for its exit. */
export async function stopDaemon<S>(daemon: RunningApp<S>, signal: NodeJS.Signals = 'SIGTERM') {
  if (daemon.child.exitCode === null && daemon.child.signalCode === null) process.kill(daemon.child.pid!, signal);
  return daemon.done;
}

/** The log lines a daemon wrote so far (JSON lines, as on a pipe). */
export function logLines(stderr: string): { msg?: string; level?: number; [key: string]: unknown }[] {
  return stderr.split('\n').flatMap((line) => {
    try {
      return line.startsWith('{') ? [JSON.parse(line) as { msg?: string }] : [];
    } catch {
      return [];
    }
  });
}

/** The Message-IDs of a Maildir folder's files, sorted. */
export function messageIdsIn(maildir: string, folder: string): (string | undefined)[] {
  return localFiles(maildir, folder).map((file) => file.messageId).sort();
}
