import { defineApp, lazy } from '../../api/app.js';
import type { SyncPolicy, SyncTopology } from '../../api/index.js';
import { onSides, type SyncAccountArgs, type SyncArgs } from './args.js';

/** The topologies declared by build(), one per account, for run(). */
const declared: SyncTopology[] = [];

/**
 * `imapfw sync`: two-way IMAP <-> Maildir. New messages, deletions and flag
 * changes propagate per the account's policy (mbsync's Sync, Expunge,
 * Create, Remove); flags merge as deltas against the last sync; messages
 * moved between local folders are moved on the server, not copied again.
 */
export default defineApp<SyncArgs>({
  name: 'sync',
  description: 'Two-way sync of an IMAP account and a Maildir.',
  // Each worker imports this module, then only its own actor's class.
  actors: {
    imap: lazy(async () => (await import('../../api/repositories/imap.js')).ImapRepository),
    maildir: lazy(async () => (await import('../../contrib/cli/dry-run-maildir.js')).DryRunMaildir),
    state: lazy(async () => (await import('../../api/state/state-repository.js')).StateRepository),
    engine: lazy(async () => (await import('../../api/engines/sync-folder.js')).SyncFolder),
    account: lazy(async () => (await import('../../api/engines/sync-account.js')).SyncAccount),
  },

  async parseArgs(argv) {
    return (await import('./args.js')).parseSyncArgs(argv);
  },

  async build(runtime, args) {
    const { declareSyncTopology, stateDatabasePath } = await import('../../api/index.js');
    const { existsSync } = await import('node:fs');
    process.env.IMAPFW_LOG_LEVEL = args.logLevel;
    args.accounts.forEach((account, i) => {
      const secret = 'value' in account.password ? [account.password.value] : [];
      // A dry run reads the saved state but never creates one.
      const stateBackend = args.dryRun && !existsSync(stateDatabasePath(account.name, args.stateDir)) ? { backend: 'memory' } : {};
      const create = onSides(account.create);
      const remove = onSides(account.remove);
      declared.push(
        declareSyncTopology(runtime, {
          prefix: args.accounts.length > 1 ? `${account.name}/` : '',
          connections: args.maxConnections,
          left: {
            key: 'imap',
            options: { url: account.remote, password: account.password, readOnly: args.dryRun || !writesToServer(account), allowPlaintext: account.allowPlaintext },
          },
          right: { key: 'maildir', shared: true, options: { root: account.maildir, layout: account.layout, fsync: args.fsync, create: !args.dryRun, dryRun: args.dryRun } },
          state: { key: 'state', options: { account: account.name, ...(args.stateDir ? { stateDir: args.stateDir } : {}), rebuild: args.rebuildState, ...stateBackend } },
          engine: { key: 'engine', options: { policy: account.policy, dryRun: args.dryRun } },
          account: {
            key: 'account',
            options: {
              include: account.folders,
              exclude: account.exclude,
              create,
              remove,
              keepNonEmpty: true,
              moves: { right: followsMoves(account.policy.toLeft), left: followsMoves(account.policy.toRight) },
              dryRun: args.dryRun,
            },
          },
          backends: { engines: args.backend },
          ...(i === 0 ? { logger: { pretty: process.stderr.isTTY === true, secrets: secret } } : {}),
        }),
      );
    });
  },

  async run(runtime, args) {
    const { runAccounts } = await import('../../contrib/cli/run-accounts.js');
    return runAccounts(runtime, declared, {
      remotes: args.accounts.map((account) => account.remote),
      json: args.json,
      dryRun: args.dryRun,
      // The plan's words: 'left' is the server, 'right' the Maildir.
      title: `imapfw sync: ${args.accounts.map((a) => `${a.remote} (left) <-> ${a.maildir} (right), sync ${a.sync.join(' ')}`).join('; ')}`,
      outcome: { complete: 'complete: both sides are in step', incomplete: 'INCOMPLETE: run again to finish (nothing is lost or duplicated)' },
    });
  },
});

/** A message moved between folders on one side is moved on the other only if both its arrival and its departure propagate. */
function followsMoves(operations: SyncPolicy['toLeft']): boolean {
  return operations.has('new') && operations.has('gone');
}

/** False when nothing this account's policy allows ever writes to the server: it is then opened read-only (EXAMINE). */
function writesToServer(account: SyncAccountArgs): boolean {
  return account.policy.toLeft.size > 0 || account.policy.expunge.left || onSides(account.create).left || onSides(account.remove).left;
}
