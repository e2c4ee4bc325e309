import { INLINE_PLACEMENT, type TaskControl } from '../../api/index.js';
import type { MigrateAccount, MigrateArgs } from './args.js';
import { migrateOne, type AccountOutcome, type RunningAccounts } from './migrate-one.js';

export interface AccountTaskInput {
  account: MigrateAccount;
  args: MigrateArgs;
  /** The app whose actors migrate it (migrate's, or a user's app built on it). */
  appModule: string;
}

/**
 * An account thread's task (see account-runner.ts): one account migrated in
 * a runtime whose actors all run inline in this thread, beside the other
 * accounts of the thread: direct calls, and the modules loaded once per
 * thread rather than once per account.
 */
export default async function migrateInThread({ account, args, appModule }: AccountTaskInput, control: TaskControl): Promise<AccountOutcome> {
  const running: RunningAccounts = new Map();
  const stop = () => void running.get(account.name)?.stop();
  control.signal.addEventListener('abort', stop);
  control.onProgress(() => running.get(account.name)?.progress() ?? []);
  try {
    return await migrateOne(account, args, appModule, running, INLINE_PLACEMENT);
  } finally {
    control.signal.removeEventListener('abort', stop);
  }
}
