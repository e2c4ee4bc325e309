import { createHash } from 'node:crypto';
import { ConfigError, type PasswordSource } from '../../../api/index.js';
import { withStateDir } from '../../../contrib/cli/password-flags.js';
import { openSecret, sealSecret } from '../../../contrib/queue/secret-box.js';
import type { MigrateAccount, MigrateArgs, QueueArgs } from '../args.js';

/** The BullMQ queue every migrate job goes to (one per Redis database). */
export const QUEUE_NAME = 'imapfw-migrate';

/**
 * How a password travels in a job: a reference the worker resolves on its
 * own host (an environment variable, a command, an OAuth2 login or token
 * command), or a password sealed with the --secrets-key-env key. Never the
 * password itself.
 */
export type QueuedPassword = { env: string } | { command: string } | { oauth2Command: string } | { oauth2: string } | { sealed: string };

/** The migrate options that apply to every account; the rest (state dir and its rebuild, log level, backend) are each worker's own. */
export type QueuedOptions = Omit<MigrateArgs, 'accounts' | 'batch' | 'queue' | 'serverRate' | 'json' | 'stateDir' | 'rebuildState' | 'logLevel' | 'backend'>;

export interface MigrateJobData {
  account: { name: string; from: string; to: string; fromPassword: QueuedPassword; toPassword: QueuedPassword };
  options: QueuedOptions;
  /** Accounts at once against any one server, across all workers. */
  perServer: number;
  /** Bytes and messages per second at most against any one server, across all workers. */
  perServerRate?: QueueArgs['perServerRate'];
}

/** Where a job stands while it runs: JSON in the job's progress. */
export interface JobProgress {
  worker: string;
  folders: string[];
  done: number;
  total: number;
  bytes: number;
}

/** The same source and target accounts always make the same job id: enqueuing a CSV twice adds nothing. */
export function jobIdOf(from: string, to: string): string {
  return `account-${createHash('sha256').update(`${from}\n${to}`).digest('hex').slice(0, 40)}`;
}

/** HOST:PORT of an imap(s):// URL: what --per-server counts accounts against. */
export function serverOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname.toLowerCase()}:${parsed.port || (parsed.protocol === 'imaps:' ? '993' : '143')}`;
}

export function queuedPassword(source: PasswordSource, key: Buffer | undefined, context: string, where: string): QueuedPassword {
  if ('value' in source) {
    if (!key) throw new ConfigError(`${where}: a plaintext password column is never written to the queue; give --secrets-key-env NAME to send it sealed (AES-256-GCM), or use a _password_env or _password_command column`);
    return { sealed: sealSecret(key, source.value, context) };
  }
  if ('prompt' in source) throw new ConfigError(`${where}: a queued account cannot prompt for a password`);
  if ('oauth2' in source) return { oauth2: source.oauth2 }; // the worker's own login store
  return source;
}

export function passwordOnWorker(queued: QueuedPassword, key: Buffer | undefined, context: string, stateDir: string | undefined): PasswordSource {
  if ('sealed' in queued) {
    if (!key) throw new ConfigError('this job carries a sealed password: start the worker with --secrets-key-env NAME holding the enqueuing run\'s key');
    return { value: openSecret(key, queued.sealed, context) };
  }
  return withStateDir(queued, stateDir);
}

export function jobDataOf(account: MigrateAccount, args: MigrateArgs, queue: Pick<QueueArgs, 'perServer' | 'perServerRate'>, key: Buffer | undefined): MigrateJobData {
  const id = jobIdOf(account.from, account.to);
  const { accounts: _accounts, batch: _batch, queue: _queue, serverRate: _serverRate, json: _json, stateDir: _stateDir, rebuildState: _rebuildState, logLevel: _logLevel, backend: _backend, ...options } = args;
  return {
    account: {
      name: account.name,
      from: account.from,
      to: account.to,
      fromPassword: queuedPassword(account.fromPassword, key, `${id}:from`, `${account.name} (source)`),
      toPassword: queuedPassword(account.toPassword, key, `${id}:to`, `${account.name} (target)`),
    },
    options,
    perServer: queue.perServer,
    ...(queue.perServerRate ? { perServerRate: queue.perServerRate } : {}),
  };
}

export function accountOnWorker(data: MigrateJobData, id: string, key: Buffer | undefined, stateDir: string | undefined): MigrateAccount {
  const { account } = data;
  return {
    name: account.name,
    from: account.from,
    to: account.to,
    fromPassword: passwordOnWorker(account.fromPassword, key, `${id}:from`, stateDir),
    toPassword: passwordOnWorker(account.toPassword, key, `${id}:to`, stateDir),
  };
}
