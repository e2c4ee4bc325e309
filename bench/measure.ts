// Runs one command under GNU time and reports its wall time, CPU time and
// peak RSS. GNU time reads the rusage of the child, which covers its whole
// process tree for CPU; for RSS (%M) it is the largest single process — for
// Node that is the process with all its worker threads, which is what we
// compare.
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

export const GNU_TIME = '/usr/bin/time';

export interface Measurement {
  /** Seconds, measured here to the ms (GNU time's %e has 10 ms steps). */
  wall: number;
  /** user + sys seconds. */
  cpu: number;
  /** Peak resident set size, bytes. */
  rss: number;
  exitCode: number;
  stdout: string;
}

export function checkGnuTime(): void {
  try {
    accessSync(GNU_TIME, constants.X_OK);
  } catch {
    throw new Error(`${GNU_TIME} not found: apt-get install time`);
  }
}

/**
 * Runs `command args` with its stdout and stderr in files (`logBase`.out and
 * .err), so the bench's own event loop never handles the child's output while
 * it runs.
 */
export async function measure(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; logBase: string }): Promise<Measurement> {
  const timeFile = `${options.logBase}.time`;
  const out = openSync(`${options.logBase}.out`, 'w');
  const err = openSync(`${options.logBase}.err`, 'w');
  const started = process.hrtime.bigint();
  const exitCode = await new Promise<number>((resolve, reject) => {
    const child = spawn(GNU_TIME, ['-f', '%U %S %M', '-o', timeFile, command, ...args], {
      stdio: ['ignore', out, err],
      env: options.env ?? process.env,
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  closeSync(out);
  closeSync(err);
  // On failure GNU time writes "Command exited with non-zero status N" first: the figures are the last line.
  const last = (await readFile(timeFile, 'utf8')).trim().split('\n').at(-1)!;
  const [user, sys, maxRssKb] = last.split(' ').map(Number);
  if (![user, sys, maxRssKb].every((n) => Number.isFinite(n))) throw new Error(`cannot read GNU time's output: ${last}`);
  return { wall, cpu: user! + sys!, rss: maxRssKb! * 1024, exitCode, stdout: await readFile(`${options.logBase}.out`, 'utf8') };
}
