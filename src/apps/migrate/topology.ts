import { declareSyncTopology, INLINE_PLACEMENT, SHIPPED_PLACEMENT } from '../../api/sync-topology.js';
import { migratePolicy } from '../../api/policy.js';
import { registerKnownPasswords } from '../../api/output.js';
import { stateDatabasePath } from '../../api/state/database-path.js';
import type { Runtime, SyncPlacement, SyncTopology } from '../../api/index.js';
import type { MigrateAccount, MigrateArgs } from './args.js';
import type { MigrateFolderOptions } from './migrate-folder.js';
import { existsSync } from 'node:fs';
import { stateOwner } from '../../api/state/state-owner.js';

/**
 * Declares one account's migration: the source on the left (read-only
 * unless --delete-source), the target on the right, `--max-connections`
 * engines with a connection to each, and the account's state. A dry run
 * opens both servers read-only, so it cannot change either. `placement`:
 * where the actors run (default: the shipped placement, or `--backend`'s).
 */
export function declareMigration(runtime: Runtime, account: MigrateAccount, args: MigrateArgs, prefix = '', placement?: SyncPlacement): SyncTopology {
  const secrets = registerKnownPasswords([account.fromPassword, account.toPassword]);
  // A dry run reads the saved state but never creates one; asked to rebuild it, it plans from an empty state (as the rebuild starts) and leaves the database as it is.
  const stateBackend = args.dryRun && (args.rebuildState || !existsSync(stateDatabasePath(account.name, args.stateDir))) ? { backend: 'memory' } : {};
  const engine: Omit<MigrateFolderOptions, 'left' | 'right' | 'state'> = {
    policy: migratePolicy(),
    dryRun: args.dryRun,
    justFolders: args.justFolders,
    deleteSource: args.deleteSource,
    ...(args.select ? { select: args.select } : {}),
    ...(args.rateLimit ? { rateLimit: { ...args.rateLimit, key: account.name } } : {}),
    ...(args.serverRate ? { serverRate: args.serverRate } : {}),
    ...(args.uploadLimit ? { uploadLimit: { right: args.uploadLimit } } : {}),
  };
  return declareSyncTopology(runtime, {
    prefix,
    connections: args.maxConnections,
    left: { key: 'imap', options: { url: account.from, password: account.fromPassword, readOnly: !args.deleteSource, allowPlaintext: args.allowPlaintext, timeoutMs: args.timeoutMs } },
    right: { key: 'imap', options: { url: account.to, password: account.toPassword, readOnly: args.dryRun, allowPlaintext: args.allowPlaintext, timeoutMs: args.timeoutMs } },
    // A state is of one migration: one name given to another (a --batch CSV's) is refused, not shared.
    state: { key: 'state', options: { account: account.name, ...(args.stateDir ? { stateDir: args.stateDir } : {}), rebuild: args.rebuildState === true, owner: stateOwner('migrate', account.from, account.to), ...stateBackend } },
    engine: { key: 'engine', options: engine },
    account: {
      key: 'account',
      options: {
        include: args.folders,
        exclude: args.exclude,
        // Always through the one-way mapping: folders only on the target are left alone.
        folderMap: args.folderMap,
        create: { left: false, right: true },
        remove: { left: false, right: false },
        dryRun: args.dryRun,
      },
    },
    ...(args.backend ? { backends: { engines: args.backend } } : {}),
    ...(placement ? { placement } : {}),
    logger: { pretty: process.stderr.isTTY === true, secrets },
  });
}

/**
 * Where a single migration's actors run unless `--backend` says: on the main
 * thread unless `--placement workers` (docs/performance.md, "Placement": bodies then go
 * from the source connection to the target's by direct calls, and no
 * worker starts or loads its modules again).
 */
export function singlePlacement(args: MigrateArgs): SyncPlacement | undefined {
  if (args.backend) return undefined;
  return args.placement === 'workers' ? SHIPPED_PLACEMENT : INLINE_PLACEMENT;
}
