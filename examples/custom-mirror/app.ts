import { parseArgs } from 'node:util';
import {
  ConfigError,
  declareSyncTopology,
  defineApp,
  ExitCode,
  lazy,
  mirrorPolicy,
  type AccountReport,
  type SyncAccount,
  type SyncTopology,
} from 'imapfw';

interface Args {
  remote: string;
  maildir: string;
  passwordEnv: string;
  stateDir?: string;
  json: boolean;
}

/** Declared by build(), used by run() (both on the main thread). */
let topology: SyncTopology | undefined;

/**
 * A mirror of a work account (server -> Maildir, read-only on the server)
 * with its own folder rules: see imap.ts and maildir.ts.
 *
 *   imapfw run examples/custom-mirror/app.ts -- --remote imaps://me@mail.example.org --maildir ~/Work --password-env WORK_PW
 */
export default defineApp<Args>({
  name: 'work-mirror',
  description: 'Mirror a work account into a nested Maildir, without Trash and Junk, with short folder names.',
  // Every worker imports this module, then only the class of its own actor.
  actors: {
    imap: lazy(async () => (await import('./imap.js')).WorkImap),
    maildir: lazy(async () => (await import('./maildir.js')).WorkMaildir),
    state: lazy(async () => (await import('imapfw')).StateRepository),
    engine: lazy(async () => (await import('imapfw')).SyncFolder),
    account: lazy(async () => (await import('imapfw')).SyncAccount),
  },

  parseArgs(argv) {
    const { values } = parseArgs({
      args: argv[0] === '--' ? argv.slice(1) : argv,
      options: {
        remote: { type: 'string' },
        maildir: { type: 'string' },
        'password-env': { type: 'string' },
        'state-dir': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
    for (const name of ['remote', 'maildir', 'password-env'] as const) {
      if (!values[name]) throw new ConfigError(`--${name} is required`);
    }
    return {
      remote: values.remote!,
      maildir: values.maildir!,
      passwordEnv: values['password-env']!,
      ...(values['state-dir'] ? { stateDir: values['state-dir'] } : {}),
      json: values.json === true,
    };
  },

  build(runtime, args) {
    topology = declareSyncTopology(runtime, {
      connections: 2,
      left: { key: 'imap', options: { url: args.remote, password: { env: args.passwordEnv }, readOnly: true } },
      // One Maildir actor shared by both engines: a Maildir needs no connection.
      right: { key: 'maildir', shared: true, options: { root: args.maildir, layout: 'nested', create: true } },
      state: { key: 'state', options: { account: 'work-mirror', ...(args.stateDir ? { stateDir: args.stateDir } : {}) } },
      engine: { key: 'engine', options: { policy: mirrorPolicy() } },
      account: { key: 'account', options: { create: { left: false, right: true }, remove: { left: false, right: false } } },
      logger: { pretty: process.stderr.isTTY === true },
    });
  },

  async run(runtime, args) {
    const report: AccountReport = await runtime.client<SyncAccount>(topology!.account).run();
    const errors = [...report.errors, ...report.folders.flatMap((folder) => folder.errors)];
    // Folder names as the app sees them: after WorkImap's nameTrans.
    const folders = report.folders.map((folder) => ({ folder: folder.right, copied: folder.copied.right, deleted: folder.deleted.right }));
    if (args.json) process.stdout.write(`${JSON.stringify({ folders, errors })}\n`);
    else {
      for (const folder of folders) process.stdout.write(`${folder.folder}: ${folder.copied} copied, ${folder.deleted} deleted\n`);
      for (const error of errors) process.stdout.write(`error: ${error.folder ?? ''} ${error.message}\n`);
    }
    return errors.length === 0 ? ExitCode.OK : ExitCode.PARTIAL;
  },
});
