import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ExitCode, failedAccountReport, forTerminal, Runtime, type AccountReport, type FolderProgress, type Remote, type SyncFolder } from '../../api/index.js';
import { jsonLine } from '../../contrib/cli/json-line.js';
import type { MigrateAccount, MigrateArgs } from './args.js';
import { runMigration } from './run-account.js';
import { formatMigrationSummary, migrateExitCode, outcomeLine, summarizeMigration, type MigrateSummary } from './summary.js';
import { declareMigration } from './topology.js';

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
 * of its own (its workers, connections and state), started when the
 * account's turn comes and stopped when it ends: a thousand accounts never
 * hold more than `parallel` runtimes, and an account that fails (a wrong
 * password, a worker crash) ends only its own runtime. Prints a line per
 * account as it starts and ends, appends its result to the results file at
 * once (a batch cut short keeps what it finished), then one combined summary.
 */
export async function runBatch(args: MigrateArgs, appModule: string): Promise<number> {
  const batch = args.batch!;
  const started = performance.now();
  mkdirSync(dirname(batch.results), { recursive: true });
  writeFileSync(batch.results, '');
  const results: AccountResult[] = [];
  const reports: AccountReport[] = [];
  const running: RunningAccounts = new Map();
  let stopped = false;
  const onSignal = () => {
    stopped = true;
    for (const { runtime } of running.values()) void runtime.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const ticker = setInterval(() => void progressLines(running), PROGRESS_EVERY_MS);
  const queue = args.accounts.map((account, index) => ({ account, index }));
  const total = args.accounts.length;

  const worker = async () => {
    for (let next = queue.shift(); next && !stopped; next = queue.shift()) {
      const { account, index } = next;
      const tag = `[${index + 1}/${total}] ${account.name}`;
      log(`${tag}: started, ${account.from} -> ${account.to}`);
      const { report, result } = await migrateOne(account, args, appModule, running);
      const { summary } = result;
      results.push(result);
      reports.push(report);
      appendFileSync(batch.results, jsonLine(result));
      const firstError = summary.errors[0];
      log(
        `${tag}: ${result.exitCode === ExitCode.OK ? 'done' : 'FAILED'}, ${summary.transferred} transferred, ${summary.alreadyPresent + summary.alreadyMigrated} already there, ` +
          `${(summary.bytes / 1e6).toFixed(1)} MB, ${summary.seconds.toFixed(1)} s${firstError ? `: ${firstError.code ? `[${firstError.code}] ` : ''}${firstError.message}` : ''}`,
      );
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(batch.parallel, total) }, worker));
  } finally {
    clearInterval(ticker);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const combined = summarizeMigration(reports, (performance.now() - started) / 1000, args);
  const failed = results.filter((result) => result.exitCode !== ExitCode.OK);
  const notRun = total - results.length;
  const complete = failed.length === 0 && notRun === 0 && !args.dryRun;
  if (args.json) {
    process.stdout.write(jsonLine({ accounts: total, completed: results.length - failed.length, failed: failed.map(({ name, exitCode, summary }) => ({ name, exitCode, errors: summary.errors })), notRun, results: batch.results, total: combined, complete }));
  } else {
    const title = `imapfw migrate --batch ${batch.file}: ${total} accounts, ${results.length - failed.length} complete, ${failed.length} failed${notRun ? `, ${notRun} not run` : ''}`;
    const extra = [...failed.map((result) => `  FAILED account       ${result.name}: ${result.summary.errors[0]?.message ?? outcomeLine(result.summary)}`), `  results              ${batch.results}`];
    const notComplete = [...failed.map((result) => result.name), ...(notRun ? [`${notRun} not run`] : [])].join(', ');
    const outcome = complete
      ? `COMPLETE: all ${total} accounts migrated and verified`
      : args.dryRun && failed.length === 0 && notRun === 0
        ? 'dry run: nothing was changed on any server'
        : `INCOMPLETE: ${failed.length + notRun} of ${total} accounts not complete (${notComplete}); fix and run the batch again (finished accounts copy nothing)`;
    process.stdout.write(`${formatMigrationSummary(title, combined, { justFolders: args.justFolders, extra, outcome })}\n`);
  }
  if (failed.length === 0 && notRun === 0) return ExitCode.OK;
  if (stopped) return ExitCode.INTERRUPTED;
  // Some accounts done, some not: partial; none done: the first failure's kind.
  return results.length > failed.length ? ExitCode.PARTIAL : (failed[0]?.exitCode ?? ExitCode.PARTIAL);
}

/** The accounts a process migrates now, by name: each one's runtime and engines (for progress and stopping). */
export type RunningAccounts = Map<string, { runtime: Runtime; engines: Record<string, Remote<SyncFolder>> }>;

/**
 * Migrates one account in a runtime of its own, started for it and stopped
 * after it, and summarizes it: what `--batch` does per account, and what an
 * `imapfw worker` does per job.
 */
export async function migrateOne(account: MigrateAccount, args: MigrateArgs, appModule: string, running: RunningAccounts): Promise<{ report: AccountReport; result: AccountResult }> {
  const started = performance.now();
  const runtime = new Runtime({ appModule });
  let report: AccountReport;
  try {
    const topology = declareMigration(runtime, account, args, `${account.name}/`);
    running.set(account.name, { runtime, engines: Object.fromEntries(topology.engines.map((name) => [name, runtime.client<SyncFolder>(name)])) });
    await runtime.guard(runtime.start());
    report = await runMigration(runtime, topology, account, { progressBars: false });
  } catch (error) {
    // The runtime itself failed (a worker crashed): this account only.
    report = failedAccountReport(error);
  } finally {
    running.delete(account.name);
    await runtime.stop();
  }
  const summary = summarizeMigration([report], (performance.now() - started) / 1000, args);
  return { report, result: { name: account.name, from: account.from, to: account.to, complete: summary.complete, exitCode: migrateExitCode(summary), summary } };
}

/** The folders an account's engines are copying now and how far each is. */
export async function folderProgress(engines: Record<string, Remote<SyncFolder>>): Promise<FolderProgress[]> {
  return (await Promise.all(Object.values(engines).map((engine) => engine.progress().catch(() => undefined)))).filter(
    (entry): entry is FolderProgress => entry !== undefined && entry.total > 0,
  );
}

/** A line per running account: the folders being copied and how far. */
async function progressLines(running: RunningAccounts): Promise<void> {
  for (const [name, { engines }] of running) {
    const progress = await folderProgress(engines);
    if (progress.length) log(`  ${name}: ${progress.map((p) => `${p.folder} ${p.done}/${p.total}`).join(', ')}`);
  }
}

function log(line: string): void {
  process.stderr.write(`${forTerminal(line)}\n`);
}
