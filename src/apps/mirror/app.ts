import {
  declareSyncTopology,
  defineApp,
  ImapRepository,
  MaildirRepository,
  mirrorPolicy,
  StateRepository,
  SyncAccount,
  SyncFolder,
  type AccountReport,
  type Remote,
  type SyncTopology,
} from '../../api/index.js';
import { ProgressBars } from '../../contrib/cli/progress.js';
import { exitCodeOf, formatSummary, summarize } from '../../contrib/cli/summary.js';
import { parseMirrorArgs, type MirrorArgs } from './args.js';

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
  actors: { imap: ImapRepository, maildir: MaildirRepository, state: StateRepository, engine: SyncFolder, account: SyncAccount },
  parseArgs: parseMirrorArgs,

  build(runtime, args) {
    process.env.IMAPFW_LOG_LEVEL = args.logLevel;
    args.accounts.forEach((account, i) => {
      const secret = 'value' in account.password ? [account.password.value] : [];
      declared.push(
        declareSyncTopology(runtime, {
          prefix: args.accounts.length > 1 ? `${account.name}/` : '',
          connections: args.maxConnections,
          left: { key: 'imap', options: { url: account.remote, password: account.password, readOnly: true, allowPlaintext: account.allowPlaintext } },
          right: { key: 'maildir', options: { root: account.maildir, layout: account.layout, fsync: args.fsync, create: !args.dryRun } },
          state: { key: 'state', options: { account: account.name, ...(args.stateDir ? { stateDir: args.stateDir } : {}), rebuild: args.rebuildState } },
          engine: { key: 'engine', options: { policy: mirrorPolicy(), dryRun: args.dryRun } },
          account: {
            key: 'account',
            options: {
              include: account.folders,
              exclude: account.exclude,
              create: { left: false, right: true },
              remove: { left: false, right: account.deleteFolders },
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
    const started = performance.now();
    const reports: AccountReport[] = [];
    for (const [i, topology] of declared.entries()) {
      const engines = Object.fromEntries(topology.engines.map((name) => [name, runtime.client<SyncFolder>(name)])) as Record<string, Remote<SyncFolder>>;
      const bars = process.stderr.isTTY && !args.json && !args.dryRun ? new ProgressBars(engines) : undefined;
      try {
        reports.push(await runtime.client<SyncAccount>(topology.account).run());
      } catch (error) {
        const code = (error as { code?: string }).code;
        reports.push({ folders: [], createdFolders: [], removedFolders: [], keptFolders: [], seconds: 0, errors: [{ ...(code ? { code } : {}), message: `${args.accounts[i]!.remote}: ${(error as Error).message}` }] });
      } finally {
        bars?.stop();
      }
    }
    const summary = summarize(reports, (performance.now() - started) / 1000, args.dryRun);
    if (args.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      const title = `imapfw mirror: ${args.accounts.map((a) => `${a.remote} -> ${a.maildir}`).join(', ')}`;
      process.stdout.write(
        `${formatSummary(title, summary, { complete: 'complete: the Maildir mirrors the server', incomplete: 'INCOMPLETE: run again to finish (nothing is lost or duplicated)' })}\n`,
      );
    }
    return exitCodeOf(summary);
  },
});
