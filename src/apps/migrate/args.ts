import { createHash } from 'node:crypto';
import { InvalidArgumentError } from 'commander';
import { dirname, basename, join } from 'node:path';
import { ConfigError } from '../../api/errors.js';
import { expandHome } from '../../api/expand-home.js';
import { parseImapUrl, type Backend, type FolderMapRule, type FolderMapSpec, type MessageSelection, type PasswordSource } from '../../api/index.js';
import { appCommand, logLevel, positiveInteger, threadsOption, timeoutOption } from '../../contrib/cli/command.js';
import { passwordFromFlags, withStateDir } from '../../contrib/cli/password-flags.js';
import { findPreset, presetUrl, uploadLimitOf } from '../../contrib/providers/presets.js';
import type { ServerRateLimit } from '../../contrib/queue/server-rate.js';
import { bytesRate, messagesRate } from '../../contrib/cli/rate.js';

/** One account to migrate: from the command line, or a line of the --batch CSV. */
export interface MigrateAccount {
  /** Names the state database and the account in reports. */
  name: string;
  from: string;
  fromPassword: PasswordSource;
  to: string;
  toPassword: PasswordSource;
}

export interface MigrateArgs {
  /** One account, or the accounts of the --batch file. */
  accounts: MigrateAccount[];
  /** Batch mode: the CSV, accounts migrated at once, where each account's result line goes. */
  batch?: { file: string; parallel: number; results: string; threads?: number };
  /** `--batch FILE --queue URL`: the accounts become jobs on a Redis queue for `imapfw worker` (see queue/enqueue.ts). */
  queue?: QueueArgs;
  folders: string[];
  exclude: string[];
  folderMap: FolderMapSpec;
  select?: MessageSelection;
  rateLimit?: { bytesPerSecond?: number; messagesPerSecond?: number };
  /** Caps per server shared across processes through Redis: set by `imapfw worker` from its job (see queue/worker.ts). */
  serverRate?: ServerRateLimit;
  dryRun: boolean;
  justFolders: boolean;
  deleteSource: boolean;
  maxConnections: number;
  /** The target provider's largest message (a preset's): larger ones are skipped, each named. */
  uploadLimit?: { bytes: number; provider: string };
  stateDir?: string;
  /** `--rebuild-state`: an account's unreadable state database is moved aside and rebuilt by pairing on identity (a readable one is kept). */
  rebuildState?: boolean;
  json: boolean;
  allowPlaintext: boolean;
  /** `--timeout` in ms (ImapRepositoryOptions.timeoutMs). */
  timeoutMs: number;
  logLevel: string;
  backend?: Backend;
  /** `--placement`: a single migration's actors on the main thread, or the connections and engines in one worker and the state in another (default: main). */
  placement?: 'main' | 'workers';
}

export interface QueueArgs {
  url: string;
  requeueFailed: boolean;
  /** Completed jobs put back: a second pass (before the cutover) copies what arrived since. */
  requeueCompleted: boolean;
  /** Accounts at once against any one source or target server, across all workers. */
  perServer: number;
  /** Bytes and messages per second at most against any one server, across all workers. */
  perServerRate?: { bytesPerSecond?: number; messagesPerSecond?: number };
  secretsKeyEnv?: string;
  /** Runs of a job before it is failed for good, and the first wait between them (doubling). */
  attempts: number;
  retryDelayMs: number;
}

interface Flags {
  from?: string;
  to?: string;
  fromPasswordEnv?: string;
  fromPasswordCommand?: string;
  toPasswordEnv?: string;
  toPasswordCommand?: string;
  fromOauth2?: string;
  fromOauth2TokenCommand?: string;
  toOauth2?: string;
  toOauth2TokenCommand?: string;
  fromProvider?: string;
  toProvider?: string;
  map: string[];
  automap?: boolean;
  fromPrefix?: string;
  toPrefix?: string;
  prefix?: string;
  folders?: string[];
  exclude?: string[];
  maxAge?: number;
  minAge?: number;
  maxSize?: number;
  dryRun?: boolean;
  justFolders?: boolean;
  deleteSource?: boolean;
  maxBytesPerSecond?: number;
  maxMessagesPerSecond?: number;
  maxConnections: number;
  stateDir?: string;
  rebuildState?: boolean;
  json?: boolean;
  batch?: string;
  parallel: number;
  threads?: number;
  results?: string;
  queue?: string;
  requeueFailed?: boolean;
  requeueCompleted?: boolean;
  perServer: number;
  maxRatePerServer?: number;
  maxMessagesPerServer?: number;
  secretsKeyEnv?: string;
  attempts: number;
  retryDelay: number;
  allowPlaintext?: boolean;
  timeout: number;
  logLevel?: string;
  backend?: string;
  placement?: string;
}

/** A usage error naming `where` (an option, a batch file's line and column) when `url` is no imap[s]://USER@HOST. */
export function checkImapUrl(where: string, url: string): void {
  try {
    parseImapUrl(url);
  } catch (error) {
    throw new ConfigError(`${where}: ${(error as Error).message}`);
  }
}

/**
 * A usage error naming `where` when `from` and `to` are one account (the same
 * user on the same host and port; 'localhost' and the loopback addresses are
 * one host): every message would be found "on the target", and
 * --delete-source would then delete them all.
 */
export function checkDistinctAccounts(where: string, from: string, to: string): void {
  const [source, target] = [parseImapUrl(from), parseImapUrl(to)];
  const host = (name: string) => (LOOPBACK.has(name.toLowerCase().replace(/^\[|\]$/g, '')) ? 'loopback' : name.toLowerCase());
  if (source.user === target.user && source.port === target.port && host(source.host) === host(target.host)) {
    throw new ConfigError(`${where}: the source and the target are one account (${source.user} on ${source.host}:${source.port}): a migration onto itself would find every message already there, and --delete-source would delete them all`);
  }
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1']);

export async function parseMigrateArgs(argv: string[]): Promise<MigrateArgs> {
  const command = appCommand('migrate', 'Copy every folder and message of an IMAP account to another IMAP account, resumably, and prove that nothing is missing.')
    .option('--from <url>', 'the source: imaps://USER@HOST[:PORT] (TLS) or imap://USER@HOST[:PORT] (STARTTLS)')
    .option('--to <url>', 'the target, in the same form')
    .option('--from-provider <name>', "gmail or outlook: the source provider's server (then --from USER), connection limit and folders to skip (Gmail: All Mail, Important, Starred); recognised from the host too")
    .option('--to-provider <name>', "gmail or outlook: the target provider's server (then --to USER) and connection limit; recognised from the host too")
    .option('--from-password-env <name>', "read the source's password from this environment variable")
    .option('--from-password-command <cmd>', "run this command and read the source's password from its output")
    .option('--to-password-env <name>', "read the target's password from this environment variable")
    .option('--to-password-command <cmd>', "run this command and read the target's password from its output")
    .option('--from-oauth2 <address>', 'log in to the source with OAuth2 as ADDRESS (after `imapfw login --user ADDRESS`)')
    .option('--from-oauth2-token-command <cmd>', 'log in to the source with the OAuth2 access token this command prints')
    .option('--to-oauth2 <address>', 'log in to the target with OAuth2 as ADDRESS (after `imapfw login --user ADDRESS`)')
    .option('--to-oauth2-token-command <cmd>', 'log in to the target with the OAuth2 access token this command prints')
    .option('--map <rule>', "rename folders: 'REGEX=REPLACEMENT' on the source name ('/' separated), repeatable, applied in order", collect, [])
    .option('--automap', 'map Sent, Trash, Drafts, Junk and Archive to the target folders of the same role (SPECIAL-USE, else common names)')
    .option('--from-prefix <folder>', "leave this parent out of source names ('INBOX' on a server keeping every folder under INBOX)")
    .option('--to-prefix <folder>', "put every migrated folder under this target folder ('Old')")
    .option('--prefix <folder>', 'the same as --to-prefix')
    .option('--folders <glob...>', 'migrate only source folders matching these globs (e.g. INBOX "Archive/**")')
    .option('--exclude <glob...>', 'skip source folders matching these globs')
    .option('--max-age <days>', 'only messages at most this many days old (by INTERNALDATE)', nonNegative)
    .option('--min-age <days>', 'only messages at least this many days old', nonNegative)
    .option('--max-size <bytes>', 'only messages of at most this many bytes', positiveInteger)
    .option('--dry-run', 'print what would be done; change nothing on either server')
    .option('--just-folders', 'create the folders on the target, copy no message')
    .option('--delete-source', 'delete each source message once it has been found on the target (by identity)')
    .option('--max-bytes-per-second <n>', 'copy at most this many bytes per second', positiveInteger)
    .option('--max-messages-per-second <n>', 'copy at most this many messages per second', positiveInteger)
    .option('--max-connections <n>', 'folders migrated at once, one connection to each server each', positiveInteger, 4)
    .option('--state-dir <dir>', 'where the migration state lives (default $XDG_STATE_HOME/imapfw)')
    .option('--rebuild-state', 'the state database is unreadable: move it aside and rebuild it by pairing messages on identity (with --batch: each account whose state is unreadable)')
    .option('--json', 'print one JSON summary on standard output')
    .option('--batch <csv>', 'migrate every account of this CSV file (see the README for its columns)')
    .option('--parallel <n>', 'with --batch: accounts migrated at once', positiveInteger, 2)
    .option(...threadsOption)
    .option('--results <file>', 'with --batch: one JSON line per account (default: next to the CSV, .results.jsonl)')
    .option('--queue <redis-url>', 'with --batch: put one job per account on this Redis queue (redis://HOST:PORT[/DB]) for `imapfw worker` processes on any number of hosts')
    .option('--requeue-failed', 'with --queue: put the failed jobs of this CSV back on the queue (with the CSV\'s current passwords)')
    .option('--requeue-completed', 'with --queue: put this CSV\'s completed jobs back on the queue: a second pass (before the cutover) copies only what arrived since')
    .option('--per-server <n>', 'with --queue: accounts at once against any one source or target server, across all workers', positiveInteger, 20)
    .option('--max-rate-per-server <rate>', 'with --queue: bytes per second at most against any one source or target server, across all workers (20MB/s, 500KiB/s, or a number of bytes)', bytesRate)
    .option('--max-messages-per-server <rate>', 'with --queue: messages per second at most against any one source or target server, across all workers (50 or 50/s)', messagesRate)
    .option('--secrets-key-env <name>', 'with --queue: seal the CSV\'s plaintext passwords with the 32-byte key (base64) in this environment variable; the workers need the same')
    .option('--attempts <n>', 'with --queue: runs of an account before its job is failed for good', positiveInteger, 3)
    .option('--retry-delay <ms>', 'with --queue: wait before the second run of a failed account (doubling after)', positiveInteger, 30_000)
    .option('--allow-plaintext', 'allow a login without TLS to a host that is not this machine')
    .option(...timeoutOption)
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace (default: warn on a terminal and with --batch, else info)', logLevel)
    .option('--backend <backend>', 'run the engines on this backend (pool, thread, or inline for debugging), each repository in a thread of its own, instead of the default placement (every actor on the main thread)')
    .option('--placement <where>', 'main: every actor on the main thread (the default); workers: the connections and engines in one worker thread and the state in another');
  command.parse(argv, { from: 'user' });
  const flags = command.opts<Flags>();

  if (flags.backend !== undefined && !['pool', 'thread', 'inline'].includes(flags.backend)) throw new ConfigError(`--backend must be pool, thread or inline, not "${flags.backend}"`);
  if (flags.placement !== undefined && !['main', 'workers'].includes(flags.placement)) throw new ConfigError(`--placement must be main or workers, not "${flags.placement}"`);
  if (flags.placement !== undefined && flags.backend !== undefined) throw new ConfigError('--placement and --backend do not go together: --backend gives each repository a thread of its own');
  if (flags.placement !== undefined && flags.batch) throw new ConfigError('--placement goes with a single migration: with --batch every account runs inline in an account thread (--threads)');
  if (flags.prefix && flags.toPrefix) throw new ConfigError('give --prefix or --to-prefix, not both (they mean the same)');
  if (flags.deleteSource && flags.dryRun) throw new ConfigError('--delete-source and --dry-run exclude each other');
  if (flags.deleteSource && flags.justFolders) throw new ConfigError('--delete-source and --just-folders exclude each other: --just-folders copies no message');
  if (flags.maxAge !== undefined && flags.minAge !== undefined && flags.minAge > flags.maxAge) {
    throw new ConfigError(`--min-age ${flags.minAge} is above --max-age ${flags.maxAge}: no message could be selected`);
  }
  if (!flags.batch && (flags.results || command.getOptionValueSource('parallel') === 'cli')) throw new ConfigError('--parallel and --results go with --batch FILE');
  if (!flags.batch && flags.threads) throw new ConfigError('--threads goes with --batch FILE');
  if (flags.threads && flags.backend) throw new ConfigError('--threads and --backend exclude each other: with --backend each account has a runtime of threads of its own');
  if (flags.queue && !flags.batch) throw new ConfigError('--queue goes with --batch FILE: the accounts to put on the queue');
  const queueOnly = ['requeueFailed', 'requeueCompleted', 'perServer', 'maxRatePerServer', 'maxMessagesPerServer', 'secretsKeyEnv', 'attempts', 'retryDelay'].filter((name) => command.getOptionValueSource(name) === 'cli');
  if (!flags.queue && queueOnly.length) throw new ConfigError(`${queueOnly.map((name) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} go with --queue`);
  // A queued dry run's jobs would stand for the accounts: enqueuing the CSV for real afterwards would add nothing.
  if (flags.queue && flags.dryRun) throw new ConfigError('--dry-run does not go with --queue: its jobs would count as the accounts done, and enqueuing the CSV again would add nothing; run `imapfw migrate --batch FILE --dry-run` without --queue');
  if (flags.queue && flags.rebuildState) throw new ConfigError("--rebuild-state does not go with --queue: each worker keeps the accounts' state on its own host");
  if (flags.queue && flags.threads) throw new ConfigError('--threads does not go with --queue: give `imapfw worker --threads T`');
  if (flags.queue && (flags.results || command.getOptionValueSource('parallel') === 'cli')) {
    throw new ConfigError('--parallel and --results do not go with --queue: give `imapfw worker --parallel K`, and export the results with `imapfw migrate results --queue URL`');
  }

  const fromPreset = findPreset(flags.fromProvider, flags.from, '--from-provider');
  const toPreset = findPreset(flags.toProvider, flags.to, '--to-provider');
  flags.from = presetUrl(fromPreset, flags.from, flags.fromOauth2);
  flags.to = presetUrl(toPreset, flags.to, flags.toOauth2);

  let accounts: MigrateAccount[];
  let batch: MigrateArgs['batch'];
  let queue: QueueArgs | undefined;
  if (flags.batch) {
    if (flags.from || flags.to) throw new ConfigError('give --from/--to or --batch FILE, not both');
    const file = expandHome(flags.batch);
    const { readAccountsCsv } = await import('./accounts-csv.js');
    const stateDir = flags.stateDir === undefined ? undefined : expandHome(flags.stateDir);
    accounts = readAccountsCsv(file).map((account) => ({ ...account, fromPassword: withStateDir(account.fromPassword, stateDir), toPassword: withStateDir(account.toPassword, stateDir) }));
    batch = { file, parallel: flags.parallel, results: expandHome(flags.results ?? defaultResults(file)), ...(flags.threads ? { threads: flags.threads } : {}) };
    if (flags.queue) {
      const { parseRedisUrl } = await import('../../contrib/queue/redis-url.js');
      parseRedisUrl(flags.queue);
      queue = {
        url: flags.queue,
        requeueFailed: flags.requeueFailed === true,
        requeueCompleted: flags.requeueCompleted === true,
        perServer: flags.perServer,
        ...(flags.maxRatePerServer || flags.maxMessagesPerServer
          ? {
              perServerRate: {
                ...(flags.maxRatePerServer ? { bytesPerSecond: flags.maxRatePerServer } : {}),
                ...(flags.maxMessagesPerServer ? { messagesPerSecond: flags.maxMessagesPerServer } : {}),
              },
            }
          : {}),
        ...(flags.secretsKeyEnv ? { secretsKeyEnv: flags.secretsKeyEnv } : {}),
        attempts: flags.attempts,
        retryDelayMs: flags.retryDelay,
      };
    }
  } else {
    if (!flags.from) throw new ConfigError('--from is required (imaps://USER@HOST), or give --batch FILE');
    if (!flags.to) throw new ConfigError('--to is required (imaps://USER@HOST)');
    checkImapUrl('--from', flags.from);
    checkImapUrl('--to', flags.to);
    checkDistinctAccounts('--from and --to', flags.from, flags.to);
    const stateDir = flags.stateDir === undefined ? undefined : expandHome(flags.stateDir);
    const side = (env?: string, command?: string, oauth2?: string, oauth2TokenCommand?: string) => ({
      ...(env ? { passwordEnv: env } : {}),
      ...(command ? { passwordCommand: command } : {}),
      ...(oauth2 ? { oauth2 } : {}),
      ...(oauth2TokenCommand ? { oauth2TokenCommand } : {}),
    });
    const fromFlags = side(flags.fromPasswordEnv, flags.fromPasswordCommand, flags.fromOauth2, flags.fromOauth2TokenCommand);
    const toFlags = side(flags.toPasswordEnv, flags.toPasswordCommand, flags.toOauth2, flags.toOauth2TokenCommand);
    const fromPassword = await passwordFromFlags(fromFlags, `${flags.from} (source)`, '--from-', stateDir);
    const toPassword = await passwordFromFlags(toFlags, `${flags.to} (target)`, '--to-', stateDir);
    accounts = [{ name: accountName(flags.from, flags.to), from: flags.from, fromPassword, to: flags.to, toPassword }];
  }

  const select: MessageSelection = {
    ...(flags.maxAge !== undefined ? { maxAgeDays: flags.maxAge } : {}),
    ...(flags.minAge !== undefined ? { minAgeDays: flags.minAge } : {}),
    ...(flags.maxSize !== undefined ? { maxSize: flags.maxSize } : {}),
  };
  const toPrefix = flags.toPrefix ?? flags.prefix;
  return {
    accounts,
    ...(batch ? { batch } : {}),
    ...(queue ? { queue } : {}),
    folders: flags.folders ?? [],
    exclude: flags.exclude ?? [...(fromPreset?.sourceExclude ?? [])],
    folderMap: {
      rules: flags.map.map(parseMapRule),
      automap: flags.automap === true,
      ...(flags.fromPrefix ? { stripPrefix: prefixOf(flags.fromPrefix, '--from-prefix') } : {}),
      ...(toPrefix ? { addPrefix: prefixOf(toPrefix, flags.toPrefix ? '--to-prefix' : '--prefix') } : {}),
    },
    // Ages are measured from one moment, so that every folder and the verification agree.
    ...(Object.keys(select).length ? { select: { ...select, now: Date.now() } } : {}),
    ...(flags.maxBytesPerSecond || flags.maxMessagesPerSecond
      ? {
          rateLimit: {
            ...(flags.maxBytesPerSecond ? { bytesPerSecond: flags.maxBytesPerSecond } : {}),
            ...(flags.maxMessagesPerSecond ? { messagesPerSecond: flags.maxMessagesPerSecond } : {}),
          },
        }
      : {}),
    dryRun: flags.dryRun === true,
    justFolders: flags.justFolders === true,
    deleteSource: flags.deleteSource === true,
    maxConnections: Math.min(flags.maxConnections, fromPreset?.maxConnections ?? Infinity, toPreset?.maxConnections ?? Infinity),
    ...(toPreset ? { uploadLimit: uploadLimitOf(toPreset)! } : {}),
    ...(flags.stateDir ? { stateDir: expandHome(flags.stateDir) } : {}),
    ...(flags.rebuildState ? { rebuildState: true } : {}),
    json: flags.json === true,
    allowPlaintext: flags.allowPlaintext === true,
    timeoutMs: flags.timeout * 1000,
    logLevel: flags.logLevel ?? (process.stderr.isTTY || flags.batch ? 'warn' : 'info'),
    ...(flags.backend ? { backend: flags.backend as Backend } : {}),
    ...(flags.placement ? { placement: flags.placement as 'main' | 'workers' } : {}),
  };
}

/** One state per source and target account: the same source migrated to two targets keeps two states. */
export function accountName(from: string, to: string): string {
  const digest = createHash('sha256').update(`${from}\n${to}`).digest('hex').slice(0, 10);
  const user = from.replace(/^imaps?:\/\//, '').replace(/[/?#].*$/, '');
  return `migrate-${user}-${digest}`;
}

/** 'REGEX=REPLACEMENT', split at the first '=' (write a '=' in the pattern as \x3D). */
export function parseMapRule(rule: string): FolderMapRule {
  const at = rule.indexOf('=');
  if (at <= 0) throw new ConfigError(`--map "${rule}": expected 'REGEX=REPLACEMENT', e.g. --map '^Old Sent$=Sent'`);
  return { pattern: rule.slice(0, at), replacement: rule.slice(at + 1) };
}

/** A prefix is a folder name ('/' separated, whatever the server's separator): 'INBOX' -> 'INBOX/'. */
function prefixOf(folder: string, flag: string): string {
  const trimmed = folder.replace(/\/+$/, '');
  if (trimmed === '' || trimmed.split('/').some((level) => level === '')) throw new ConfigError(`${flag} "${folder}" is not a folder name (levels are separated by '/')`);
  return `${trimmed}/`;
}

function defaultResults(csv: string): string {
  return join(dirname(csv), `${basename(csv).replace(/\.csv$/i, '')}.results.jsonl`);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || value.trim() === '') throw new InvalidArgumentError('Expected a number of days of at least 0.');
  return n;
}
