import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { failedAccountReport, TaskThreads, type Backend, type FolderProgress } from '../../api/index.js';
import type { AccountTaskInput } from './account-task.js';
import type { MigrateAccount, MigrateArgs } from './args.js';
import { accountOutcome, migrateOne, type AccountOutcome, type RunningAccounts } from './migrate-one.js';

/** How a process (a `--batch` run, a worker) migrates its accounts, several at once. */
export interface AccountRunner {
  /** Migrates one account; `running` holds its progress and stop while it runs. Never rejects: a failure is the outcome's. */
  migrate(account: MigrateAccount, args: MigrateArgs, running: RunningAccounts): Promise<AccountOutcome>;
  /** Ends the runner's threads: once no account runs. */
  close(): Promise<void>;
}

const here = import.meta.url;
const ACCOUNT_TASK = new URL(`./account-task${extname(fileURLToPath(here))}`, here).href;

/**
 * The accounts in `threads` long-lived account threads (default: as many as
 * accounts at once, at most the CPU count), several accounts in each, every
 * actor of an account inline in its thread: a small account costs its mail,
 * not a runtime's start. An account thread that dies fails the accounts it
 * hosted and is replaced. With `backend` (`--backend X`), each account gets a
 * runtime of threads of its own instead, started for it and stopped after it.
 */
export function accountRunner(appModule: string, options: { parallel: number; threads?: number; backend?: Backend }): AccountRunner {
  if (options.backend) return { migrate: (account, args, running) => migrateOne(account, args, appModule, running), close: async () => {} };
  const threads = new TaskThreads<AccountTaskInput, AccountOutcome, FolderProgress[]>({
    task: ACCOUNT_TASK,
    threads: options.threads ?? Math.min(options.parallel, availableParallelism()),
    imports: [appModule],
  });
  return {
    async migrate(account, args, running) {
      const started = performance.now();
      // The account alone: a batch's other accounts need not be cloned to its thread.
      const task = threads.run({ account, args: { ...args, accounts: [account] }, appModule });
      running.set(account.name, { progress: async () => (await task.progress()) ?? [], stop: async () => task.stop() });
      try {
        return await task.result;
      } catch (error) {
        // Its thread died: every account it hosted ends here.
        return accountOutcome(account, failedAccountReport(error, `${account.from} -> ${account.to}: `), started, args);
      } finally {
        running.delete(account.name);
      }
    },
    close: () => threads.close(),
  };
}
