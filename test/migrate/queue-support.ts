// What the queue tests share: worker processes whose standard error is kept
// (their account lines), those lines read back, and the teardown.
import type { Queue } from 'bullmq';
import { startApp, type RunningApp } from '../support/cli-run.js';
import type { DovecotServer } from '../support/dovecot.js';
import type { RedisServer } from '../support/redis.js';

/** An `imapfw worker` process and all it wrote on stderr. */
export interface WorkerProcess {
  run: RunningApp<unknown>;
  stderr: string;
  /** When the test SIGKILLed it. */
  killedAt?: number;
}

export function startWorker(args: string[], env: Record<string, string>, timeoutMs: number): WorkerProcess {
  const run = startApp('worker', args, { env, timeoutMs });
  const worker: WorkerProcess = { run, stderr: '' };
  run.child.stderr!.on('data', (chunk: string) => (worker.stderr += chunk));
  return worker;
}

/** A worker's runs of accounts, from its lines (logged after taking the server slots, before giving them back): each account's last start, and its end if it ended. */
export function accountRuns(stderr: string): { name: string; started: number; ended?: number }[] {
  const runs: { name: string; started: number; ended?: number }[] = [];
  const open = new Map<string, { name: string; started: number; ended?: number }>();
  for (const line of stderr.split('\n')) {
    const match = /^(\S+) (\S+): (started on|done|not complete)/.exec(line);
    if (!match) continue;
    const [at, name] = [Date.parse(match[1]!), match[2]!];
    if (match[3] === 'started on') {
      const run = { name, started: at };
      open.set(name, run);
      runs.push(run);
    } else if (open.has(name)) {
      open.get(name)!.ended = at;
      open.delete(name);
    }
  }
  return runs;
}

export async function stopEverything(workers: WorkerProcess[], queue: Queue | undefined, redis: RedisServer | undefined, server: DovecotServer | undefined, work: { remove(): void } | undefined): Promise<void> {
  for (const { run } of workers) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
  await Promise.all(workers.map(({ run }) => run.done));
  await queue?.close();
  await redis?.stop();
  await server?.stop();
  work?.remove();
}
