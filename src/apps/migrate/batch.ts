import { appendFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ExitCode, forTerminal, makeDirsSync, registerKnownPasswords, type AccountReport, type Runtime } from '../../api/index.js';
import { jsonLine } from '../../contrib/cli/json-line.js';
import { accountRunner } from './account-runner.js';
import type { MigrateArgs } from './args.js';
import type { RunningAccounts } from './migrate-one.js';
import { formatMigrationSummary, outcomeLine, summarizeMigration, type MigrateSummary } from './summary.js';

/** One account's outcome: a line of the results file (never a password). */
export interface AccountResult {
  name: string;
  from: string;
  to: string;
  complete: boolean;
  exitCode: number;
  summary: MigrateSummary;
}

/** How often a line tells where each running account stands. */
const PROGRESS_EVERY_MS = 15_000;

/**
 * `--batch`: migrates the accounts `parallel` at a time, each in a runtime
 * of its own (its connections, engines and state), started when the
 * account's turn comes and stopped when it ends, in one of a few account
 * threads (see account-runner.ts): a thousand accounts never hold more than
 * `parallel` runtimes, and an account that fails (a wrong password) ends
 * only its own runtime; a thread that dies ends only its accounts. Prints a line per
 * account as it starts and ends, appends its result to the results file at
 * once (a batch cut short keeps what it finished, and earlier runs' lines
 * stay), then one combined summary. A dry run writes no results file: its
 * lines would read as accounts not complete, and it leaves no trace.
 */
export async function runBatch(args: MigrateArgs, runtime: Runtime): Promise<number> {
  const appModule = runtime.appModule;
  const batch = args.batch!;
  const started = performance.now();
  const resultsFile = args.dryRun ? undefined : batch.results;
  if (resultsFile) {
    makeDirsSync(dirname(resultsFile));
    // Opened once before any account runs, so that a file that cannot be written fails the batch first; never truncated.
    appendFileSync(resultsFile, '');
  }
  const results: AccountResult[] = [];
  const reports: AccountReport[] = [];
  const running: RunningAccounts = new Map();
  // The passwords this process knows are redacted here too, whatever the account threads print.
  registerKnownPasswords(args.accounts.flatMap((account) => [account.fromPassword, account.toPassword]));
  const runner = accountRunner(appModule, { parallel: batch.parallel, ...(batch.threads ? { threads: batch.threads } : {}), ...(args.backend ? { backend: args.backend } : {}) });
  // A signal winds the running accounts down (their batches in flight finish) and starts no other; a second one stops the runtime (runApp).
  let stopped = false;
  const forget = runtime.onInterrupt(() => {
    stopped = true;
    for (const account of running.values()) void account.stop();
  });
  const ticker = setInterval(() => void progressLines(running), PROGRESS_EVERY_MS);
  const queue = args.accounts.map((account, index) => ({ account, index }));
  const total = args.accounts.length;

  const worker = async () => {
    for (let next = queue.shift(); next && !stopped; next = queue.shift()) {
      const { account, index } = next;
      const tag = `[${index + 1}/${total}] ${account.name}`;
      log(`${tag}: started, ${account.from} -> ${account.to}`);
      const { report, result } = await runner.migrate(account, args, running);
      results.push(result);
      reports.push(report);
      // The whole line in one write, appended: a crash later keeps it and every line before.
      if (resultsFile) appendFileSync(resultsFile, jsonLine(result));
      log(`${tag}: ${endLine(result)}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(batch.parallel, total) }, worker));
  } finally {
    clearInterval(ticker);
    await runner.close();
    forget();
  }

  const combined = summarizeMigration(reports, (performance.now() - started) / 1000, args);
  const unfinished = results.filter((result) => result.exitCode !== ExitCode.OK);
  const cut = unfinished.filter(interrupted);
  const failed = unfinished.filter((result) => !interrupted(result));
  const notRun = total - results.length;
  const complete = unfinished.length === 0 && notRun === 0 && !args.dryRun;
  if (args.json) {
    const failures = failed.map(({ name, exitCode, summary }) => ({ name, exitCode, errors: summary.errors }));
    process.stdout.write(jsonLine({ accounts: total, completed: results.length - unfinished.length, failed: failures, interrupted: cut.map((result) => result.name), notRun, ...(resultsFile ? { results: resultsFile } : {}), total: combined, complete }));
  } else {
    const counts = [`${results.length - unfinished.length} complete`, `${failed.length} failed`, ...(cut.length ? [`${cut.length} interrupted`] : []), ...(notRun ? [`${notRun} not run`] : [])];
    const title = `imapfw migrate --batch ${batch.file}: ${total} accounts, ${counts.join(', ')}`;
    const extra = [...failed.map((result) => `  FAILED account       ${result.name}: ${result.summary.errors[0]?.message ?? outcomeLine(result.summary)}`), `  results              ${resultsFile ?? 'none written (dry run)'}`];
    const notComplete = [...unfinished.map((result) => result.name), ...(notRun ? [`${notRun} not run`] : [])].join(', ');
    const outcome = complete
      ? `COMPLETE: all ${total} accounts migrated and verified`
      : args.dryRun && unfinished.length === 0 && notRun === 0
        ? 'dry run: nothing was changed on any server'
        : stopped
          ? `INTERRUPTED: ${unfinished.length + notRun} of ${total} accounts not complete (${notComplete}); run the batch again to finish (finished accounts copy nothing)`
          : `INCOMPLETE: ${unfinished.length + notRun} of ${total} accounts not complete (${notComplete}); fix and run the batch again (finished accounts copy nothing)`;
    process.stdout.write(`${formatMigrationSummary(title, combined, { justFolders: args.justFolders, extra, outcome })}\n`);
  }
  if (unfinished.length === 0 && notRun === 0) return ExitCode.OK;
  if (stopped) return ExitCode.INTERRUPTED;
  // Some accounts done, some not: partial; none done: the first failure's kind.
  return results.length > failed.length ? ExitCode.PARTIAL : (failed[0]?.exitCode ?? ExitCode.PARTIAL);
}

/** How an account ended, its counts named as the summary names them. */
function endLine(result: AccountResult): string {
  const { summary } = result;
  const outcome = result.exitCode === ExitCode.OK ? 'done' : interrupted(result) ? 'interrupted' : 'FAILED';
  const copied = summary.dryRun ? `${summary.transferred} to transfer` : `${summary.transferred} transferred`;
  const firstError = summary.errors[0];
  return (
    `${outcome}, ${copied}, ${summary.alreadyPresent} already on target, ${summary.alreadyMigrated} migrated before, ` +
    `${(summary.bytes / 1e6).toFixed(1)} MB, ${summary.seconds.toFixed(1)} s${firstError ? `: ${firstError.code ? `[${firstError.code}] ` : ''}${firstError.message}` : ''}`
  );
}

/** An account a signal stopped before it finished, with no failure of its own. */
function interrupted(result: AccountResult): boolean {
  return result.summary.interrupted === true && result.summary.errors.length === 0;
}

/** A line per running account: the folders being copied and how far. */
async function progressLines(running: RunningAccounts): Promise<void> {
  for (const [name, account] of running) {
    const progress = await account.progress();
    if (progress.length) log(`  ${name}: ${progress.map((p) => `${p.folder} ${p.done}/${p.total}`).join(', ')}`);
  }
}

function log(line: string): void {
  process.stderr.write(`${forTerminal(line)}\n`);
}
