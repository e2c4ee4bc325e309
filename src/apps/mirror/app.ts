import { defineApp, lazy } from '../../api/app.js';
import type { SyncTopology } from '../../api/index.js';
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
    const { mirrorPolicy } = await import('../../api/policy.js');
    const { declareMaildirAccount } = await import('../../contrib/cli/maildir-app-topology.js');
    process.env.IMAPFW_LOG_LEVEL = args.logLevel;
    args.accounts.forEach((account, i) =>
      declared.push(
        declareMaildirAccount(runtime, args, i, {
          readOnlyServer: true,
          policy: mirrorPolicy(),
          folders: { create: { left: false, right: true }, remove: { left: false, right: account.deleteFolders } },
        }),
      ),
    );
  },

  async handOff(args) {
    const { handOffToDaemon } = await import('../../contrib/cli/hand-off.js');
    return handOffToDaemon('mirror', args, summaryText(args));
  },

  async run(runtime, args) {
    if (args.watch) {
      const { runWatch } = await import('../../contrib/cli/run-watch.js');
      return runWatch(runtime, declared, { app: 'mirror', accounts: args.accounts, watch: args.watch, ...(args.stateDir ? { stateDir: args.stateDir } : {}) });
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

/** The summary's first and last lines. */
function summaryText(args: MirrorArgs) {
  return {
    title: `imapfw mirror: ${args.accounts.map((a) => `${a.remote} -> ${a.maildir}`).join(', ')}`,
    outcome: { complete: 'complete: the Maildir mirrors the server', incomplete: 'INCOMPLETE: run again to finish (nothing is lost or duplicated)' },
  };
}
