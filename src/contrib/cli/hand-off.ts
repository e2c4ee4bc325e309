// Not the whole API: this runs before a one-shot run starts anything, and the hand-off should cost little.
import { ControlError, NoDaemonError } from '../../api/errors.js';
import { DaemonClient } from '../../api/watch/control-client.js';
import { jsonLine } from './json-line.js';
import { formatSummary } from './summary.js';

/** What a one-shot run prints around its summary: the first line, and the last when complete and when not. */
export interface SummaryText {
  title: string;
  outcome: { complete: string; incomplete: string };
}

/** The run a one-shot app was asked for, as far as a hand-off cares. */
export interface HandOffRun {
  stateDir?: string;
  json: boolean;
  dryRun: boolean;
  /** Set when the run is itself a daemon: it never hands off. */
  watch?: unknown;
  accounts: readonly { name: string; folders: readonly string[] }[];
}

/**
 * A one-shot run started while a daemon serves its accounts (and holds their
 * locks) asks the daemon, through its control socket, to run the pass, and
 * prints that pass's summary as it would print its own (with `--json` too);
 * returns the pass's exit code. Undefined when the run should do the work
 * itself: no daemon runs for the state directory (or it went away), the
 * daemon runs another app or does not serve every one of these accounts,
 * the run is a dry run (the daemon would really change things) or a daemon.
 */
export async function handOffToDaemon(app: string, run: HandOffRun, text: SummaryText): Promise<number | undefined> {
  if (run.dryRun || run.watch) return undefined;
  let daemon: DaemonClient;
  try {
    daemon = await DaemonClient.connect(run.stateDir);
  } catch (error) {
    if (error instanceof NoDaemonError) return undefined;
    throw error;
  }
  try {
    const folders = namedFolders(run.accounts);
    const { summary, exitCode } = await daemon.sync({ app, accounts: run.accounts.map((account) => account.name), ...(folders ? { folders } : {}) });
    process.stderr.write(`imapfw ${app}: a daemon serves this account (socket ${daemon.path}); it ran this pass\n`);
    process.stdout.write(run.json ? jsonLine(summary) : `${formatSummary(text.title, summary, text.outcome)}\n`);
    return exitCode;
  } catch (error) {
    if (error instanceof NoDaemonError || (error instanceof ControlError && error.code === 'ENOTSERVED')) return undefined;
    throw error;
  } finally {
    daemon.close();
  }
}

/** `--folders INBOX Sent` (plain names, the same for every account) narrows the daemon's pass to those; globs leave it whole. */
function namedFolders(accounts: HandOffRun['accounts']): string[] | undefined {
  const lists = accounts.map((account) => [...account.folders].sort().join('\n'));
  const folders = accounts[0]?.folders ?? [];
  if (folders.length === 0 || new Set(lists).size !== 1 || folders.some((folder) => /[*?[\]{}!()+@]/.test(folder))) return undefined;
  return [...folders];
}
