import { failedPassReport } from '../../api/engines/folder-report.js';
import type { AccountReport, Remote, Runtime, SyncAccount, SyncFolder, SyncTopology } from '../../api/index.js';
import { ProgressBars } from '../../contrib/cli/progress.js';
import type { MigrateAccount } from './args.js';

/**
 * Runs one declared migration to its end. A failure of the whole account (a
 * refused login, an unreachable server) becomes the report's error, so that
 * the caller summarizes it like any other. A signal (Runtime.onInterrupt)
 * winds it down: the batches in flight finish, and the report says
 * `interrupted`.
 */
export async function runMigration(runtime: Runtime, topology: SyncTopology, account: MigrateAccount, options: { progressBars: boolean }): Promise<AccountReport> {
  const engines = Object.fromEntries(topology.engines.map((name) => [name, runtime.client<SyncFolder>(name)])) as Record<string, Remote<SyncFolder>>;
  const bars = options.progressBars ? new ProgressBars(engines) : undefined;
  const client = runtime.client<SyncAccount>(topology.account);
  let interrupted = false;
  const forget = runtime.onInterrupt(() => {
    interrupted = true;
    client.interrupt().catch(() => undefined);
  });
  try {
    return await client.run();
  } catch (error) {
    return failedPassReport(error, interrupted, `${account.from} -> ${account.to}: `);
  } finally {
    forget();
    bars?.stop();
  }
}
