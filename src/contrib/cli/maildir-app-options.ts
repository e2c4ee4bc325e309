import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import type { Backend, MaildirLayout, PasswordSource } from '../../api/index.js';
import { ConfigError } from '../../api/errors.js';
import { expandHome } from '../../api/expand-home.js';
import { parseImapUrl } from '../../core/imap/url.js';
import { checkMaildirRoot } from '../../core/maildir/maildir-root.js';
import { offlineimapAccountDir } from '../../core/maildir/offlineimap-account.js';
import { checkInboxDir, inboxDirOf, MAILDIR_LAYOUTS } from '../../core/maildir/folder-names.js';
import { logLevel, positiveInteger, timeoutOption } from './command.js';
import { withStateDir } from './password-flags.js';
import { findPreset, presetUrl, uploadLimitOf } from '../providers/presets.js';

/** The options every app between one server and a Maildir shares (`mirror`, `sync`), as commander parses them. */
export interface MaildirAppFlags {
  remote?: string;
  maildir?: string;
  passwordEnv?: string;
  passwordCommand?: string;
  oauth2TokenCommand?: string;
  oauth2?: string;
  provider?: string;
  stateDir?: string;
  folders?: string[];
  exclude?: string[];
  maxConnections: number;
  dryRun?: boolean;
  json?: boolean;
  config?: string;
  layout: string;
  inbox?: string;
  mbsyncState?: string;
  offlineimapState?: string;
  fsync: boolean;
  rebuildState?: boolean;
  allowPlaintext?: boolean;
  timeout: number;
  logLevel?: string;
  backend?: string;
  placement?: string;
  watch?: boolean;
  idle?: string[];
  interval: number;
  onChange?: string;
}

/** The run-wide settings parsed from them (the accounts are the app's own). */
export interface MaildirAppRun {
  stateDir?: string;
  maxConnections: number;
  dryRun: boolean;
  json: boolean;
  fsync: boolean;
  rebuildState: boolean;
  /** `--timeout` in ms: how long a server may stop moving bytes before the call is given up. */
  timeoutMs: number;
  logLevel: string;
  backend?: Backend;
  /** `--placement`: every actor on the main thread, or the connections and engines in one worker and the state in another (default: main, workers with --watch). */
  placement?: 'main' | 'workers';
  /** `--watch`: run as a daemon (see WatchAccount); absent for a one-shot run. */
  watch?: WatchSettings;
}

/** `--config FILE`: the file, and the same command line parsed again with the file read anew (a daemon's SIGHUP). */
export interface ConfigSource<Args> {
  file: string;
  /** Throws ConfigError when the file no longer loads or validates. */
  reread(): Promise<Args>;
}

export interface WatchSettings {
  /** `--idle`: folders IDLEd on when the server has no NOTIFY. */
  idle: string[];
  /** `--interval` in ms: how often the folders not pushed are checked. */
  intervalMs: number;
  /** `--on-change`: a shell command run after a pass that changed something. */
  onChange?: string;
}

/** The server, Maildir, password, state and folder options; `verb` says what the app does to a folder ("mirror", "sync"). */
export function accountOptions(command: Command, verb: string): Command {
  return command
    .option('--remote <url>', 'the server: imaps://USER@HOST[:PORT] (TLS) or imap://USER@HOST[:PORT] (STARTTLS); with --provider, just USER')
    .option('--provider <name>', "gmail or outlook: the provider's server, connection limit and folder rules (recognised from the host too)")
    .option('--maildir <dir>', 'the local Maildir (created if missing)')
    .option('--password-env <name>', 'read the password from this environment variable')
    .option('--password-command <cmd>', 'run this command and read the password from its output')
    .option('--oauth2 <address>', 'log in with OAuth2 as ADDRESS, from the login `imapfw login --user ADDRESS` stored; tokens refreshed as needed')
    .option('--oauth2-token-command <cmd>', 'log in with the OAuth2 access token this command prints (run again at every login)')
    .option('--state-dir <dir>', 'where the sync state lives (default $XDG_STATE_HOME/imapfw)')
    .option('--folders <glob...>', `${verb} only folders matching these globs (e.g. INBOX "Archive/**")`)
    .option('--exclude <glob...>', 'skip folders matching these globs')
    .option('--max-connections <n>', `folders ${verb === 'mirror' ? 'mirrored' : 'synced'} at once, one IMAP connection each`, positiveInteger, 4);
}

/** The Maildir layout, fsync, output, state, TLS, logging and backend options. */
export function runOptions(command: Command): Command {
  return command
    .option('--layout <layout>', "Maildir layout: 'maildir++' (.A.B), 'nested' (A/B) or 'flat' (A.B beside INBOX/: offlineimap's default)", 'maildir++')
    .option('--inbox <dir>', "with --layout nested or flat: the directory in the Maildir that holds INBOX (mbsync's Inbox ~/Mail/INBOX: --inbox INBOX); default: the Maildir itself (nested), INBOX (flat)")
    .option('--mbsync-state <dir>', "where mbsync kept its records, when its SyncState is not * (mbsync's default: ~/.mbsync/): a folder's first sync starts from mbsync's record of it")
    .option('--offlineimap-state <dir>', "offlineimap's metadata directory (~/.offlineimap), or its Account-NAME directory: a folder's first sync starts from offlineimap's record of it")
    .option('--no-fsync', 'do not fsync delivered messages (faster; a crash may lose the last messages)')
    .option('--json', 'print one JSON summary on standard output')
    .option('--rebuild-state', "the state database is unreadable, or another account's or Maildir's under this name: move it aside and rebuild it by pairing messages on identity")
    .option('--allow-plaintext', 'allow a login without TLS to a host that is not this machine')
    .option(...timeoutOption)
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace (default: warn on a terminal, else info)', logLevel)
    .option('--backend <backend>', 'run the engines on this backend (pool, thread, or inline for debugging), each repository in a thread of its own, instead of the default placement (connections, Maildir and engines in one worker)')
    .option('--placement <where>', "main: every actor on the main thread (the default without --watch); workers: the connections, Maildir and engines in one worker thread and the state in another (the default with --watch)")
    .option('--watch', 'keep running after the first pass: sync what changes as it changes, reconnect when the server comes back (stop with SIGTERM)')
    .option('--idle <glob...>', 'with --watch, when the server has no NOTIFY: the folder to IDLE on (default INBOX); the others are checked every --interval')
    .option('--interval <seconds>', 'with --watch: how often folders the server does not push are checked (a pass over every folder runs every 6 intervals)', positiveInteger, 300)
    .option('--on-change <cmd>', 'with --watch: a shell command run after each pass that changed something (IMAPFW_ACCOUNT, IMAPFW_FOLDERS, IMAPFW_COPIED... in its environment)');
}

/** Checks the shared flags and returns the run-wide settings. */
export function runSettings(flags: MaildirAppFlags): MaildirAppRun {
  if (!MAILDIR_LAYOUTS.includes(flags.layout)) throw new ConfigError(`--layout must be 'maildir++', 'nested' or 'flat', not "${flags.layout}"`);
  if (flags.backend !== undefined && !['pool', 'thread', 'inline'].includes(flags.backend)) throw new ConfigError(`--backend must be pool, thread or inline, not "${flags.backend}"`);
  if (flags.placement !== undefined && !['main', 'workers'].includes(flags.placement)) throw new ConfigError(`--placement must be main or workers, not "${flags.placement}"`);
  if (flags.placement !== undefined && flags.backend !== undefined) throw new ConfigError('--placement and --backend do not go together: --backend gives each repository a thread of its own');
  return {
    ...(flags.stateDir ? { stateDir: expandHome(flags.stateDir) } : {}),
    maxConnections: flags.maxConnections,
    dryRun: flags.dryRun === true,
    json: flags.json === true,
    fsync: flags.fsync,
    rebuildState: flags.rebuildState === true,
    timeoutMs: flags.timeout * 1000,
    logLevel: flags.logLevel ?? (process.stderr.isTTY ? 'warn' : 'info'),
    ...(flags.backend ? { backend: flags.backend as Backend } : {}),
    ...(flags.placement ? { placement: flags.placement as 'main' | 'workers' } : {}),
    ...(flags.watch ? { watch: watchSettings(flags) } : {}),
  };
}

function watchSettings(flags: MaildirAppFlags): WatchSettings {
  if (flags.dryRun) throw new ConfigError('--watch and --dry-run do not go together: a dry run changes nothing, so it has nothing to keep current');
  return { idle: flags.idle ?? ['INBOX'], intervalMs: flags.interval * 1000, ...(flags.onChange ? { onChange: flags.onChange } : {}) };
}

/** `--remote` (or `--provider` with `--oauth2 ADDRESS`) and `--maildir` are required without `--config`. */
export function requireAccountFlags(flags: MaildirAppFlags): { remote: string; maildir: string } {
  const remote = presetUrl(findPreset(flags.provider, flags.remote), flags.remote, flags.oauth2);
  if (!remote) throw new ConfigError('--remote is required (imaps://USER@HOST), or give --config FILE');
  if (!flags.maildir) throw new ConfigError('--maildir is required (the local Maildir directory)');
  return { remote, maildir: flags.maildir };
}

/**
 * The flags that say which server, Maildir and login one account has. With
 * `--config` the file gives those, per account: these are refused, not
 * ignored. The other account options (--layout, --folders, --provider...)
 * are defaults for the accounts that do not set them.
 */
const ONE_ACCOUNT_FLAGS = {
  remote: '--remote',
  maildir: '--maildir',
  passwordEnv: '--password-env',
  passwordCommand: '--password-command',
  oauth2: '--oauth2',
  oauth2TokenCommand: '--oauth2-token-command',
} satisfies Partial<Record<keyof MaildirAppFlags, string>>;

/** Refuses, with `--config`, the flags of one account's server, Maildir and login (see ONE_ACCOUNT_FLAGS). */
export function checkConfigFlags(flags: MaildirAppFlags): void {
  const given = Object.entries(ONE_ACCOUNT_FLAGS)
    .filter(([key]) => flags[key as keyof typeof ONE_ACCOUNT_FLAGS] !== undefined)
    .map(([, flag]) => flag);
  if (given.length === 0) return;
  throw new ConfigError(
    `${given.join(', ')} ${given.length > 1 ? 'do' : 'does'} not go with --config ${flags.config}: put each account's server, Maildir and password in the file (remote, maildir, password: { env } | { command } | { oauth2 } | { oauth2Command })`,
  );
}

/** What every account of such an app has, from `--config` or the flags. */
export interface MaildirAppAccountEntry {
  name?: string;
  remote: string;
  maildir: string;
  password: PasswordSource;
  /** gmail or outlook; recognised from the host when not given. */
  provider?: string;
  layout?: MaildirLayout;
  /** The directory in the Maildir that holds INBOX (nested layout); default: the Maildir itself. */
  inbox?: string;
  /** Where mbsync kept its records of this Maildir (its SyncState directory). */
  mbsyncState?: string;
  /** offlineimap's metadata directory (or its account's), when offlineimap kept this Maildir. */
  offlineimapState?: string;
  folders?: string[];
  exclude?: string[];
  allowPlaintext?: boolean;
}

/** Every key of MaildirAppAccountEntry, for the apps' lists of what a config account may hold (see keysOf). */
export const MAILDIR_APP_ACCOUNT_KEYS: Record<keyof MaildirAppAccountEntry, true> = {
  name: true,
  remote: true,
  maildir: true,
  password: true,
  provider: true,
  layout: true,
  inbox: true,
  mbsyncState: true,
  offlineimapState: true,
  folders: true,
  exclude: true,
  allowPlaintext: true,
};

export interface MaildirAppAccount {
  /** Names the state database. */
  name: string;
  remote: string;
  password: PasswordSource;
  maildir: string;
  layout: MaildirLayout;
  inbox?: string;
  mbsyncState?: string;
  /** offlineimap's account directory. */
  offlineimapState?: string;
  folders: string[];
  exclude: string[];
  allowPlaintext: boolean;
  /** The provider's limit on connections per account, when it has one. */
  maxConnections?: number;
  /** The provider's largest message on upload, when it has one. */
  uploadLimit?: { bytes: number; provider: string };
}

/**
 * The account's common settings, the entry's over the flags'; unnamed, it is
 * named `APP-USER-DIGEST`. A provider's preset adds its connection limit and,
 * for a one-way copy (`mirror`), skips the folders that repeat other folders'
 * messages (Gmail's All Mail, Important, Starred) unless `--exclude` is given.
 */
export function maildirAppAccount(app: string, entry: MaildirAppAccountEntry, flags: MaildirAppFlags): MaildirAppAccount {
  // A bad URL is a usage error, told once before anything starts (not by every connection's actor as it starts).
  parseImapUrl(entry.remote);
  const preset = findPreset(entry.provider ?? flags.provider, entry.remote);
  const maildir = expandHome(entry.maildir);
  const layout = entry.layout ?? (flags.layout as MaildirLayout);
  const inbox = inboxDirOf(layout, entry.inbox ?? flags.inbox);
  if (inbox !== undefined) checkInboxDir(inbox, layout);
  // So is a --maildir that holds other files and no Maildir (a home directory given by mistake), or another tool's tree read in another layout.
  checkMaildirRoot(maildir, { layout, ...(inbox !== undefined ? { inbox } : {}) });
  const mbsyncState = optionalPath(entry.mbsyncState ?? flags.mbsyncState);
  if (mbsyncState !== undefined && !isDirectory(mbsyncState)) throw new ConfigError(`--mbsync-state: ${mbsyncState} is not a directory (mbsync's SyncState directory, where its records are)`);
  const offlineimapState = optionalPath(entry.offlineimapState ?? flags.offlineimapState);
  if (mbsyncState !== undefined && offlineimapState !== undefined) throw new ConfigError('--mbsync-state and --offlineimap-state do not go together: one tool kept this Maildir');
  return {
    name: accountName(app, entry),
    remote: entry.remote,
    password: withStateDir(entry.password, optionalPath(flags.stateDir)),
    maildir,
    layout,
    ...(inbox !== undefined ? { inbox } : {}),
    ...(mbsyncState !== undefined ? { mbsyncState } : {}),
    ...(offlineimapState !== undefined ? { offlineimapState: offlineimapAccountDir(offlineimapState) } : {}),
    folders: entry.folders ?? flags.folders ?? [],
    exclude: entry.exclude ?? flags.exclude ?? (app === 'mirror' ? [...(preset?.sourceExclude ?? [])] : []),
    allowPlaintext: entry.allowPlaintext ?? flags.allowPlaintext === true,
    ...(preset ? { maxConnections: preset.maxConnections, uploadLimit: uploadLimitOf(preset)! } : {}),
  };
}

/** The account's name (it names the state database): the entry's, else `APP-USER-DIGEST`. */
export function accountName(app: string, entry: Pick<MaildirAppAccountEntry, 'name' | 'remote' | 'maildir'>): string {
  if (entry.name !== undefined) return entry.name;
  // One state per app, server account and Maildir: two runs of one account into two Maildirs never share it.
  const digest = createHash('sha256').update(`${entry.remote}\n${expandHome(entry.maildir)}`).digest('hex').slice(0, 10);
  const user = entry.remote.replace(/^imaps?:\/\//, '').replace(/[/?#].*$/, '');
  return `${app}-${user}-${digest}`;
}

function optionalPath(path: string | undefined): string | undefined {
  return path === undefined ? undefined : expandHome(path);
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
}
