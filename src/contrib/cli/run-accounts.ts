import { failedPassReport } from '../../api/engines/folder-report.js';
import type { AccountReport, Remote, Runtime, SyncAccount, SyncFolder, SyncTopology } from '../../api/index.js';
import { jsonLine } from './json-line.js';
import { exitCodeOf, formatSummary, summarize } from './summary.js';

export interface RunAccountsOptions {
  /** Each topology's server, to name an account that failed as a whole. */
  remotes: string[];
  json: boolean;
  dryRun: boolean;
  /** The summary's first line. */
  title: string;
  /** Its last line, when complete and when not. */
  outcome: { complete: string; incomplete: string };
}

/**
 * Runs each account's SyncAccount in turn, with progress bars on a terminal,
 * then prints the summary (human, or one JSON object with `json`) and
 * returns the exit code. An account that fails as a whole (login refused,
 * server unreachable) is reported and the next one still runs. On SIGINT
 * or SIGTERM the account running winds down and no other starts; the
 * summary says what was done, and that the run was interrupted.
 */
export async function runAccounts(runtime: Runtime, topologies: readonly SyncTopology[], options: RunAccountsOptions): Promise<number> {
  const started = performance.now();
  const reports: AccountReport[] = [];
  // A signal winds the account running down (its writes in flight finish) and starts no other: the summary then tells what was done.
  let current: Remote<SyncAccount> | undefined;
  let interrupted = false;
  const forget = runtime.onInterrupt(() => {
    interrupted = true;
    current?.interrupt().catch(() => undefined);
  });
  try {
    for (const [i, topology] of topologies.entries()) {
      if (interrupted) break;
      // Set before the first await: a signal from now on reaches this account.
      current = runtime.client<SyncAccount>(topology.account);
      const engines = Object.fromEntries(topology.engines.map((name) => [name, runtime.client<SyncFolder>(name)])) as Record<string, Remote<SyncFolder>>;
      // cli-progress is loaded only when there is a terminal to draw on.
      const bars = process.stderr.isTTY && !options.json && !options.dryRun ? new (await import('./progress.js')).ProgressBars(engines) : undefined;
      try {
        reports.push(await current.run());
      } catch (error) {
        reports.push(failedPassReport(error, interrupted, `${options.remotes[i]}: `));
      } finally {
        current = undefined;
        bars?.stop();
      }
    }
  } finally {
    forget();
  }
  const summary = summarize(reports, (performance.now() - started) / 1000, options.dryRun);
  // Also when the signal came between two accounts, or as the last folder ended.
  if (interrupted) Object.assign(summary, { interrupted: true, complete: false });
  process.stdout.write(options.json ? jsonLine(summary) : `${formatSummary(options.title, summary, options.outcome)}\n`);
  return exitCodeOf(summary);
}
