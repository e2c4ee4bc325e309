import { failedAccountReport } from '../../api/engines/folder-report.js';
import type { AccountReport, Remote, Runtime, SyncAccount, SyncFolder, SyncTopology } from '../../api/index.js';
import { ProgressBars } from '../../contrib/cli/progress.js';
import type { MigrateAccount } from './args.js';

/**
 * Runs one declared migration to its end. A failure of the whole account (a
 * refused login, an unreachable server) becomes the report's error, so that
 * the caller summarizes it like any other.
 */
export async function runMigration(runtime: Runtime, topology: SyncTopology, account: MigrateAccount, options: { progressBars: boolean }): Promise<AccountReport> {
  const engines = Object.fromEntries(topology.engines.map((name) => [name, runtime.client<SyncFolder>(name)])) as Record<string, Remote<SyncFolder>>;
  const bars = options.progressBars ? new ProgressBars(engines) : undefined;
  try {
    return await runtime.client<SyncAccount>(topology.account).run();
  } catch (error) {
    return failedAccountReport(error, `${account.from} -> ${account.to}: `);
  } finally {
    bars?.stop();
  }
}
