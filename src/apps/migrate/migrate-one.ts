import { failedAccountReport, Runtime, type AccountReport, type FolderProgress, type Remote, type SyncFolder, type SyncPlacement } from '../../api/index.js';
import type { MigrateAccount, MigrateArgs } from './args.js';
import type { AccountResult } from './batch.js';
import { runMigration } from './run-account.js';
import { migrateExitCode, summarizeMigration } from './summary.js';
import { declareMigration } from './topology.js';

/** What migrating one account gives: its report (for a batch's combined summary) and its result line. */
export interface AccountOutcome {
  report: AccountReport;
  result: AccountResult;
}

/** A running account, seen from the process that runs it: how far its engines are, and how to stop it after its writes. */
export interface AccountControl {
  progress(): Promise<FolderProgress[]>;
  /** The first call winds the migration down (its batches in flight finish, its report says `interrupted`); the next stops its runtime. */
  stop(): Promise<void>;
}

/** The accounts a process migrates now, by name (for progress and stopping). */
export type RunningAccounts = Map<string, AccountControl>;

/**
 * Migrates one account in a runtime of its own, started for it and stopped
 * after it, and summarizes it: what `--batch` does per account, and what an
 * `imapfw worker` does per job. `placement` says where its actors run
 * (INLINE_PLACEMENT in an account thread).
 */
export async function migrateOne(account: MigrateAccount, args: MigrateArgs, appModule: string, running: RunningAccounts, placement?: SyncPlacement): Promise<AccountOutcome> {
  const started = performance.now();
  const runtime = new Runtime({ appModule });
  let report: AccountReport;
  try {
    const topology = declareMigration(runtime, account, args, `${account.name}/`, placement);
    const engines = Object.fromEntries(topology.engines.map((name) => [name, runtime.client<SyncFolder>(name)]));
    let asked = false;
    const stop = async () => {
      const first = !asked;
      asked = true;
      // The first winds the migration down (runMigration's onInterrupt); a second, or one before it runs, stops the runtime.
      if (first && runtime.interrupt()) return;
      await runtime.stop();
    };
    running.set(account.name, { progress: () => folderProgress(engines), stop });
    await runtime.guard(runtime.start());
    report = await runMigration(runtime, topology, account, { progressBars: false });
  } catch (error) {
    // The runtime itself failed (a worker crashed): this account only.
    report = failedAccountReport(error);
  } finally {
    running.delete(account.name);
    await runtime.stop();
  }
  return accountOutcome(account, report, started, args);
}

/** The outcome of an account whose report is `report`, started at `started` (performance.now()). */
export function accountOutcome(account: MigrateAccount, report: AccountReport, started: number, args: MigrateArgs): AccountOutcome {
  const summary = summarizeMigration([report], (performance.now() - started) / 1000, args);
  return { report, result: { name: account.name, from: account.from, to: account.to, complete: summary.complete, exitCode: migrateExitCode(summary), summary } };
}

/** The folders an account's engines are copying now and how far each is. */
async function folderProgress(engines: Record<string, Remote<SyncFolder>>): Promise<FolderProgress[]> {
  return (await Promise.all(Object.values(engines).map((engine) => engine.progress().catch(() => undefined)))).filter(
    (entry): entry is FolderProgress => entry !== undefined && entry.total > 0,
  );
}
