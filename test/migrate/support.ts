// Helpers of the migrate app's integration tests: run `imapfw migrate` as a
// child process, and read both servers' folders back by identity.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startApp, type AppRun, type RunningApp } from '../support/cli-run.js';
import type { DovecotServer } from '../support/dovecot.js';
import { imapClient, listServerMessages } from '../support/messages.js';
import type { MigrateSummary } from '../../src/apps/migrate/summary.js';

export type MigrateRun = AppRun<MigrateSummary>;

export interface Side {
  server: DovecotServer;
  user: string;
}

/** The environment variables the runs read passwords from. */
export function passwordEnv(from: Side, to: Side): Record<string, string> {
  return { IMAPFW_FROM_PW: from.server.users[from.user]!, IMAPFW_TO_PW: to.server.users[to.user]! };
}

export interface MigrateOptions {
  /** Print the JSON summary (default) or the human one. */
  json?: boolean;
  timeoutMs?: number;
}

/** Starts `imapfw migrate [--json]` from one account to another (see startApp). */
export function startMigrate(from: Side, to: Side, stateDir: string, args: string[] = [], options: MigrateOptions = {}): RunningApp<MigrateSummary> {
  return startApp<MigrateSummary>(
    'migrate',
    [
      '--from',
      from.server.url(from.user),
      '--from-password-env',
      'IMAPFW_FROM_PW',
      '--to',
      to.server.url(to.user),
      '--to-password-env',
      'IMAPFW_TO_PW',
      '--state-dir',
      stateDir,
      ...(options.json === false ? [] : ['--json']),
      ...args,
    ],
    { env: passwordEnv(from, to), timeoutMs: options.timeoutMs ?? 90_000 },
  );
}

export function runMigrate(from: Side, to: Side, stateDir: string, args: string[] = [], options: MigrateOptions = {}): Promise<MigrateRun> {
  return startMigrate(from, to, stateDir, args, options).done;
}

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'imapfw-migrate-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One message as compared across servers: Message-ID (or a body hash), size, flags and keywords, INTERNALDATE. */
export interface MessageKey {
  id: string;
  size: number;
  flags: string[];
  internalDate: number;
}

/** Every message of a folder by identity; a folder that does not exist is empty. */
export async function readFolder(side: Side, folder: string): Promise<MessageKey[]> {
  let listed: Awaited<ReturnType<typeof listServerMessages>>;
  try {
    listed = await listServerMessages(side.server, side.user, folder);
  } catch (error) {
    if (/nonexistent|doesn't exist|not exist/i.test(String((error as { responseText?: string }).responseText ?? (error as Error).message))) return [];
    throw error;
  }
  const hashes = new Map<number, string>();
  const unnamed = listed.filter((m) => !m.messageId).map((m) => m.uid);
  if (unnamed.length > 0) {
    const client = await imapClient(side.server, side.user);
    try {
      const lock = await client.getMailboxLock(folder, { readOnly: true });
      try {
        for (const row of await client.fetchAll(unnamed.join(','), { uid: true, source: true }, { uid: true })) {
          if (row.source) hashes.set(row.uid, `sha256:${createHash('sha256').update(row.source).digest('hex')}`);
        }
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
  }
  return listed.map((m) => ({ id: m.messageId ?? hashes.get(m.uid)!, size: m.size, flags: m.flags, internalDate: m.internalDate.getTime() }));
}

export const keyText = (m: MessageKey) => `${m.id} ${m.size} [${m.flags.join(' ')}] ${new Date(m.internalDate).toISOString()}`;

/** Folder names as the server lists them (its own separator), sorted. */
export async function serverFolders(side: Side): Promise<string[]> {
  const client = await imapClient(side.server, side.user);
  try {
    return (await client.list()).filter((entry) => !entry.flags.has('\\Noselect')).map((entry) => entry.path).sort();
  } finally {
    await client.logout();
  }
}

/**
 * What differs between a source folder and its target folder, as lines
 * (empty when the target holds each source message exactly once, with the
 * same flags, keywords and INTERNALDATE, and nothing else).
 */
export async function folderDifferences(from: Side, fromFolder: string, to: Side, toFolder: string): Promise<string[]> {
  const [source, target] = await Promise.all([readFolder(from, fromFolder), readFolder(to, toFolder)]);
  const want = counts(source.map(keyText));
  const have = counts(target.map(keyText));
  const problems: string[] = [];
  for (const [key, n] of want) if ((have.get(key) ?? 0) !== n) problems.push(`${toFolder}: ${key} held ${have.get(key) ?? 0}x, the source ${n}x`);
  for (const [key, n] of have) if (!want.has(key)) problems.push(`${toFolder}: ${key} held ${n}x, not on the source`);
  return problems;
}

export function counts(keys: Iterable<string>): Map<string, number> {
  const map = new Map<string, number>();
  for (const key of keys) map.set(key, (map.get(key) ?? 0) + 1);
  return map;
}

/** The `--json` summary of `imapfw migrate --batch`. */
export interface BatchJson {
  accounts: number;
  completed: number;
  failed: { name: string; exitCode: number; errors: { code?: string; message: string }[] }[];
  /** The results file; none on a dry run. */
  results?: string;
  complete: boolean;
  total: { transferred: number; verified: { selected: number; present: number; missing: number } };
}
