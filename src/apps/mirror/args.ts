import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { ConfigError, type Backend, type MaildirLayout, type PasswordSource } from '../../api/index.js';
import { appCommand, positiveInteger } from '../../contrib/cli/command.js';
import { loadConfigAccounts } from '../../contrib/cli/config-module.js';
import { passwordFromFlags } from '../../contrib/cli/password-flags.js';

/** One mirrored account, from the command line or a config file. */
export interface MirrorAccount {
  /** Names the state database. */
  name: string;
  remote: string;
  password: PasswordSource;
  maildir: string;
  layout: MaildirLayout;
  folders: string[];
  exclude: string[];
  deleteFolders: boolean;
  allowPlaintext: boolean;
}

export interface MirrorArgs {
  accounts: MirrorAccount[];
  stateDir?: string;
  maxConnections: number;
  dryRun: boolean;
  json: boolean;
  fsync: boolean;
  rebuildState: boolean;
  logLevel: string;
  backend: Backend;
}

/** What a `--config` module may export (default export: one account or a list). */
export interface MirrorConfigAccount {
  name?: string;
  remote: string;
  maildir: string;
  password: PasswordSource;
  layout?: MaildirLayout;
  folders?: string[];
  exclude?: string[];
  deleteFolders?: boolean;
  allowPlaintext?: boolean;
}

interface Flags {
  remote?: string;
  maildir?: string;
  passwordEnv?: string;
  passwordCommand?: string;
  stateDir?: string;
  folders?: string[];
  exclude?: string[];
  maxConnections: number;
  dryRun?: boolean;
  json?: boolean;
  config?: string;
  deleteFolders?: boolean;
  layout: string;
  fsync: boolean;
  rebuildState?: boolean;
  allowPlaintext?: boolean;
  logLevel?: string;
  backend: string;
}

export async function parseMirrorArgs(argv: string[]): Promise<MirrorArgs> {
  const command = appCommand('mirror', 'Mirror an IMAP account into a Maildir. Read-only on the server: nothing is ever written there.')
    .option('--remote <url>', 'the server: imaps://USER@HOST[:PORT] (TLS) or imap://USER@HOST[:PORT] (STARTTLS)')
    .option('--maildir <dir>', 'the local Maildir (created if missing)')
    .option('--password-env <name>', 'read the password from this environment variable')
    .option('--password-command <cmd>', 'run this command and read the password from its output')
    .option('--state-dir <dir>', 'where the sync state lives (default $XDG_STATE_HOME/imapfw)')
    .option('--folders <glob...>', 'mirror only folders matching these globs (e.g. INBOX "Archive/**")')
    .option('--exclude <glob...>', 'skip folders matching these globs')
    .option('--max-connections <n>', 'folders mirrored at once, one IMAP connection each', positiveInteger, 4)
    .option('--delete-folders', 'delete a local folder when its server folder is deleted (default: keep it)')
    .option('--layout <layout>', "Maildir layout: 'maildir++' (.A.B) or 'nested' (A/B)", 'maildir++')
    .option('--no-fsync', 'do not fsync delivered messages (faster; a crash may lose the last messages)')
    .option('--dry-run', 'print what would be done; change nothing')
    .option('--json', 'print one JSON summary on standard output')
    .option('--config <file>', 'a module (JS or TS) whose default export is an account or a list of accounts')
    .option('--rebuild-state', 'the state database is unreadable: rebuild it by pairing messages on identity')
    .option('--allow-plaintext', 'allow a login without TLS to a host that is not this machine')
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace')
    .option('--backend <backend>', 'where engines run: pool, thread or inline (debugging)', 'pool');
  command.parse(argv, { from: 'user' });
  const flags = command.opts<Flags>();

  if (flags.layout !== 'maildir++' && flags.layout !== 'nested') throw new ConfigError(`--layout must be 'maildir++' or 'nested', not "${flags.layout}"`);
  if (!['pool', 'thread', 'inline'].includes(flags.backend)) throw new ConfigError(`--backend must be pool, thread or inline, not "${flags.backend}"`);
  const accounts = flags.config ? await accountsFromConfig(flags.config, flags) : [await accountFromFlags(flags)];
  return {
    accounts,
    ...(flags.stateDir ? { stateDir: resolve(flags.stateDir) } : {}),
    maxConnections: flags.maxConnections,
    dryRun: flags.dryRun === true,
    json: flags.json === true,
    fsync: flags.fsync,
    rebuildState: flags.rebuildState === true,
    logLevel: flags.logLevel ?? (process.stderr.isTTY ? 'warn' : 'info'),
    backend: flags.backend as Backend,
  };
}

async function accountFromFlags(flags: Flags): Promise<MirrorAccount> {
  if (!flags.remote) throw new ConfigError('--remote is required (imaps://USER@HOST), or give --config FILE');
  if (!flags.maildir) throw new ConfigError('--maildir is required (the local Maildir directory)');
  return account(
    { remote: flags.remote, maildir: flags.maildir, password: await passwordFromFlags(flags, flags.remote) },
    flags,
  );
}

async function accountsFromConfig(file: string, flags: Flags): Promise<MirrorAccount[]> {
  const entries = await loadConfigAccounts<MirrorConfigAccount>(file, ['remote', 'maildir', 'password']);
  return entries.map((entry) => account(entry, flags));
}

function account(entry: MirrorConfigAccount, flags: Flags): MirrorAccount {
  const maildir = resolve(entry.maildir);
  // One state per server account and Maildir: two mirrors of one account never share it.
  const digest = createHash('sha256').update(`${entry.remote}\n${maildir}`).digest('hex').slice(0, 10);
  const user = entry.remote.replace(/^imaps?:\/\//, '').replace(/[/?#].*$/, '');
  return {
    name: entry.name ?? `mirror-${user}-${digest}`,
    remote: entry.remote,
    password: entry.password,
    maildir,
    layout: entry.layout ?? (flags.layout as MaildirLayout),
    folders: entry.folders ?? flags.folders ?? [],
    exclude: entry.exclude ?? flags.exclude ?? [],
    deleteFolders: entry.deleteFolders ?? flags.deleteFolders === true,
    allowPlaintext: entry.allowPlaintext ?? flags.allowPlaintext === true,
  };
}
