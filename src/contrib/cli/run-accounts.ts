import { failedAccountReport } from '../../api/engines/folder-report.js';
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
 * server unreachable) is reported and the next one still runs.
 */
export async function runAccounts(runtime: Runtime, topologies: readonly SyncTopology[], options: RunAccountsOptions): Promise<number> {
  const started = performance.now();
  const reports: AccountReport[] = [];
  for (const [i, topology] of topologies.entries()) {
    const engines = Object.fromEntries(topology.engines.map((name) => [name, runtime.client<SyncFolder>(name)])) as Record<string, Remote<SyncFolder>>;
    // cli-progress is loaded only when there is a terminal to draw on.
    const bars = process.stderr.isTTY && !options.json && !options.dryRun ? new (await import('./progress.js')).ProgressBars(engines) : undefined;
    try {
      reports.push(await runtime.client<SyncAccount>(topology.account).run());
    } catch (error) {
      reports.push(failedAccountReport(error, `${options.remotes[i]}: `));
    } finally {
      bars?.stop();
    }
  }
  const summary = summarize(reports, (performance.now() - started) / 1000, options.dryRun);
  process.stdout.write(options.json ? jsonLine(summary) : `${formatSummary(options.title, summary, options.outcome)}\n`);
  return exitCodeOf(summary);
}
