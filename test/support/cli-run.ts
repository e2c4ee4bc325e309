// Runs a shipped app through the imapfw CLI as a child process, so that a
// test can kill it like a real one, and reads its `--json` summary.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../bin/imapfw.mjs', import.meta.url));
const RSS_MARK = 'imapfw-test-max-rss-kib=';

export interface AppRun<Summary> {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** The last 20 kB of standard error (log lines). */
  stderr: string;
  /** Parsed from stdout when the run printed its JSON summary. */
  summary?: Summary;
  ms: number;
  /** The process's peak resident memory in KiB, with `measureRss` (GNU time's %M). */
  maxRssKiB?: number;
}

export interface RunningApp<Summary> {
  child: ChildProcess;
  /** Resolves when the process exited (by itself or killed). */
  done: Promise<AppRun<Summary>>;
}

/**
 * Starts `imapfw <app> ...args`. A run still alive after `timeoutMs` is
 * killed and reported with signal SIGKILL and `timedOut` in its stderr, so
 * that a hang fails the test instead of stalling it.
 */
export function startApp<Summary>(
  app: string,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number; cwd?: string; measureRss?: boolean } = {},
): RunningApp<Summary> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 90_000;
  // GNU time reports the peak RSS of the process it waited for (all its threads) as the last line of stderr.
  const command = options.measureRss ? ['/usr/bin/time', '-f', `${RSS_MARK}%M`, process.execPath] : [process.execPath];
  const child = spawn(command[0]!, [...command.slice(1), CLI, app, ...args], {
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const done = new Promise<AppRun<Summary>>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      let summary: Summary | undefined;
      try {
        summary = line ? (JSON.parse(line) as Summary) : undefined;
      } catch {
        summary = undefined;
      }
      const rss = options.measureRss ? new RegExp(`${RSS_MARK}(\\d+)`).exec(stderr) : null;
      resolve({
        code,
        signal,
        ...(rss ? { maxRssKiB: Number(rss[1]) } : {}),
        stdout,
        stderr: timedOut ? `${stderr}\n[test] timedOut: killed after ${timeoutMs} ms` : stderr,
        ...(summary ? { summary } : {}),
        ms: performance.now() - started,
      });
    });
  });
  return { child, done };
}

/** A run's outcome in one line, for assertion messages. */
export function describeAppRun(run: AppRun<unknown>): string {
  return `exit ${run.code ?? run.signal} after ${Math.round(run.ms)} ms; summary ${JSON.stringify(run.summary)}; stderr tail:\n${run.stderr.slice(-3000)}`;
}
