import { defineApp, lazy } from '../../api/app.js';
import type { SyncTopology } from '../../api/index.js';
import type { MigrateArgs } from './args.js';

/** The topology build() declared for a single migration, for run(); none in --batch mode (each account gets its own runtime, built from this app or the user's app that reuses it: runtime.appModule). */
let declared: SyncTopology | undefined;

/**
 * `imapfw migrate`: IMAP -> IMAP, like imapsync. Copies folders, messages,
 * flags, keywords and INTERNALDATE; resumable and duplicate-free through the
 * state and identities; checks every selected source message on the target
 * by identity at the end of each folder; `--batch` migrates many accounts.
 */
export default defineApp<MigrateArgs>({
  name: 'migrate',
  description: 'Migrate IMAP accounts to another IMAP server, resumably, with a verification at the end.',
  actors: {
    imap: lazy(async () => (await import('../../api/repositories/imap.js')).ImapRepository),
    state: lazy(async () => (await import('../../api/state/state-repository.js')).StateRepository),
    engine: lazy(async () => (await import('./migrate-folder.js')).MigrateFolder),
    account: lazy(async () => (await import('../../api/engines/sync-account.js')).SyncAccount),
  },

  async parseArgs(argv) {
    return (await import('./args.js')).parseMigrateArgs(argv);
  },

  async build(runtime, args) {
    process.env.IMAPFW_LOG_LEVEL = args.logLevel;
    if (args.batch) return;
    const { declareMigration, singlePlacement } = await import('./topology.js');
    declared = declareMigration(runtime, args.accounts[0]!, args, '', singlePlacement(args));
  },

  async run(runtime, args) {
    if (args.queue) return (await import('./queue/enqueue.js')).enqueueBatch(args);
    if (args.batch) return (await import('./batch.js')).runBatch(args, runtime);
    const { runMigration } = await import('./run-account.js');
    const { formatMigrationSummary, migrateExitCode, summarizeMigration } = await import('./summary.js');
    const account = args.accounts[0]!;
    const started = performance.now();
    const report = await runMigration(runtime, declared!, account, { progressBars: process.stderr.isTTY === true && !args.json && !args.dryRun });
    const summary = summarizeMigration([report], (performance.now() - started) / 1000, args);
    const { jsonLine } = await import('../../contrib/cli/json-line.js');
    if (args.json) process.stdout.write(jsonLine(summary));
    else process.stdout.write(`${formatMigrationSummary(`imapfw migrate: ${account.from} -> ${account.to}`, summary, { justFolders: args.justFolders })}\n`);
    return migrateExitCode(summary);
  },
});
