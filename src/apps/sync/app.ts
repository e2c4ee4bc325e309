import { defineApp, lazy } from '../../api/app.js';
import type { Runtime, SyncPolicy, SyncTopology } from '../../api/index.js';
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
    watch: lazy(async () => (await import('../../api/repositories/imap-watch.js')).ImapWatch),
  },

  async parseArgs(argv) {
    return (await import('./args.js')).parseSyncArgs(argv);
  },

  async build(runtime, args) {
    process.env.IMAPFW_LOG_LEVEL = args.logLevel;
    for (let i = 0; i < args.accounts.length; i++) declared.push(await declareAccount(runtime, args, i));
  },

  async handOff(args) {
    const { handOffToDaemon } = await import('../../contrib/cli/hand-off.js');
    return handOffToDaemon('sync', args, summaryText(args));
  },

  async run(runtime, args) {
    if (args.watch) {
      const { runWatch } = await import('../../contrib/cli/run-watch.js');
      const reload = args.config && {
        config: args.config,
        appModule: import.meta.url,
        // A reloaded account runs in a runtime of its own, as the only account of its args.
        declare: (runtime: Runtime, account: (typeof args.accounts)[number]) => declareAccount(runtime, { ...args, accounts: [account] }, 0),
      };
      return runWatch(runtime, declared, { app: 'sync', accounts: args.accounts, watch: args.watch, ...(args.stateDir ? { stateDir: args.stateDir } : {}), ...(reload ? { reload } : {}) });
    }
    const { runAccounts } = await import('../../contrib/cli/run-accounts.js');
    return runAccounts(runtime, declared, {
      remotes: args.accounts.map((account) => account.remote),
      json: args.json,
      dryRun: args.dryRun,
      ...summaryText(args),
    });
  },
});

/** Declares account `index` of `args` (build(), and an account a daemon's reload starts). */
async function declareAccount(runtime: Runtime, args: SyncArgs, index: number): Promise<SyncTopology> {
  const { declareMaildirAccount } = await import('../../contrib/cli/maildir-app-topology.js');
  const account = args.accounts[index]!;
  return declareMaildirAccount(runtime, args, index, {
    app: 'sync',
    readOnlyServer: args.dryRun || !writesToServer(account),
    policy: account.policy,
    folders: {
      create: onSides(account.create),
      remove: onSides(account.remove),
      keepNonEmpty: true,
      moves: { right: followsMoves(account.policy.toLeft), left: followsMoves(account.policy.toRight) },
    },
    watchLocal: account.policy.toLeft.size > 0,
  });
}

/** The summary's first and last lines. */
function summaryText(args: SyncArgs) {
  return {
    // The plan's words: 'left' is the server, 'right' the Maildir.
    title: `imapfw sync: ${args.accounts.map((a) => `${a.remote} (left) <-> ${a.maildir} (right), sync ${a.sync.join(' ')}`).join('; ')}`,
    outcome: { complete: 'complete: both sides are in step', incomplete: 'INCOMPLETE: run again to finish (nothing is lost or duplicated)' },
  };
}

/** A message moved between folders on one side is moved on the other only if both its arrival and its departure propagate. */
function followsMoves(operations: SyncPolicy['toLeft']): boolean {
  return operations.has('new') && operations.has('gone');
}

/** False when nothing this account's policy allows ever writes to the server: it is then opened read-only (EXAMINE). */
function writesToServer(account: SyncAccountArgs): boolean {
  return account.policy.toLeft.size > 0 || account.policy.expunge.left || onSides(account.create).left || onSides(account.remove).left;
}
