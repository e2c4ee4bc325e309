import { defineApp, lazy } from '../../api/app.js';
import type { Runtime, SyncTopology } from '../../api/index.js';
import type { MirrorArgs } from './args.js';

/** The topologies declared by build(), one per account, for run(). */
const declared: SyncTopology[] = [];

/**
 * `imapfw mirror`: server -> Maildir. The server is opened read-only
 * (EXAMINE; every write refused before it is sent); new messages, flag
 * changes and expunges on the server are applied to the Maildir.
 */
export default defineApp<MirrorArgs>({
  name: 'mirror',
  description: 'Mirror an IMAP account into a Maildir, read-only on the server.',
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
    return (await import('./args.js')).parseMirrorArgs(argv);
  },

  async build(runtime, args) {
    process.env.IMAPFW_LOG_LEVEL = args.logLevel;
    for (let i = 0; i < args.accounts.length; i++) declared.push(await declareAccount(runtime, args, i));
  },

  async handOff(args) {
    const { handOffToDaemon } = await import('../../contrib/cli/hand-off.js');
    return handOffToDaemon('mirror', args, summaryText(args));
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
      return runWatch(runtime, declared, { app: 'mirror', accounts: args.accounts, watch: args.watch, ...(args.stateDir ? { stateDir: args.stateDir } : {}), ...(reload ? { reload } : {}) });
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
async function declareAccount(runtime: Runtime, args: MirrorArgs, index: number): Promise<SyncTopology> {
  const { mirrorPolicy } = await import('../../api/policy.js');
  const { declareMaildirAccount } = await import('../../contrib/cli/maildir-app-topology.js');
  return declareMaildirAccount(runtime, args, index, {
    app: 'mirror',
    readOnlyServer: true,
    policy: mirrorPolicy(),
    // A Maildir folder deleted by hand comes back: the Maildir follows the server (--exclude leaves a folder out).
    // A folder renamed, or messages moved, on the server: followed by moving the files, not by downloading them again.
    folders: { create: { left: false, right: true }, remove: { left: false, right: args.accounts[index]!.deleteFolders }, restore: { right: true }, moves: { left: true } },
  });
}

/** The summary's first and last lines. */
function summaryText(args: MirrorArgs) {
  return {
    title: `imapfw mirror: ${args.accounts.map((a) => `${a.remote} -> ${a.maildir}`).join(', ')}`,
    outcome: { complete: 'complete: the Maildir mirrors the server', incomplete: 'INCOMPLETE: run again to finish (nothing is lost or duplicated)' },
  };
}
