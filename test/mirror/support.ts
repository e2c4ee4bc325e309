// Helpers of the mirror's integration tests: run the CLI as a child process
// (so that it can be killed like a real one), seed a test Dovecot with many
// messages, read the local Maildir back and compare it with the server.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqlite } from '../../src/core/state/open-sqlite.js';
import { describeAppRun, startApp, type AppRun, type RunningApp } from '../support/cli-run.js';
import type { DovecotServer } from '../support/dovecot.js';
import { dropIntoMaildir, imapClient, listServerMessages, makeMessage, type SeedMessage } from '../support/messages.js';
import type { RunSummary } from '../../src/contrib/cli/summary.js';

export const USER = 'alice';

/** What `--json` prints (src/contrib/cli/summary.ts). */
export type MirrorSummary = RunSummary;

export type MirrorRun = AppRun<MirrorSummary>;

export interface MirrorDirs {
  root: string;
  maildir: string;
  state: string;
  remove(): void;
}

export function mirrorDirs(): MirrorDirs {
  const root = mkdtempSync(path.join(os.tmpdir(), 'imapfw-mirror-test-'));
  return { root, maildir: path.join(root, 'Maildir'), state: path.join(root, 'state'), remove: () => rmSync(root, { recursive: true, force: true }) };
}

export type RunningMirror = RunningApp<MirrorSummary>;

/** Starts `imapfw mirror --json` on the server's account into `dirs` (see startApp). */
export function startMirror(server: DovecotServer, dirs: MirrorDirs, options: { args?: string[]; timeoutMs?: number } = {}): RunningMirror {
  const args = ['--remote', server.url(USER), '--maildir', dirs.maildir, '--password-env', 'IMAPFW_TEST_PW', '--state-dir', dirs.state, '--json', ...(options.args ?? [])];
  return startApp<MirrorSummary>('mirror', args, { env: { IMAPFW_TEST_PW: server.users[USER]! }, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
}

export function runMirror(server: DovecotServer, dirs: MirrorDirs, options: { args?: string[]; timeoutMs?: number } = {}): Promise<MirrorRun> {
  return startMirror(server, dirs, options).done;
}

/** A run's outcome in one line, for assertion messages. */
export const describeRun = describeAppRun;

// ---- Seeding --------------------------------------------------------------

const FLAG_SETS: string[][] = [[], ['\\Seen'], ['\\Seen'], ['\\Flagged', '\\Seen'], ['\\Answered', '\\Seen'], [], ['\\Draft'], ['\\Deleted', '\\Seen'], ['\\Answered', '\\Flagged', '\\Seen']];

export interface SeedSpec {
  folder: string;
  count: number;
  /** Messages with the Message-ID and bytes of an earlier one of the folder (real duplicates). */
  duplicates?: number;
  /** Messages without a Message-ID header (identified by a body hash). */
  withoutMessageId?: number;
}

/**
 * Messages of varied sizes (300 B to 30 kB, every 150th about 400 kB) and
 * flags, deterministic per `seed`. Returns them so a test can seed the same
 * bytes again.
 */
export function makeMessages(spec: SeedSpec, seed = 0): SeedMessage[] {
  const messages: SeedMessage[] = [];
  for (let i = 0; i < spec.count; i++) {
    const n = seed + i;
    const size = n % 150 === 149 ? 400_000 + (n % 7) * 1000 : 300 + ((n * 7919) % 30_000);
    const noId = i < (spec.withoutMessageId ?? 0);
    messages.push({
      raw: makeMessage({
        subject: `${spec.folder} #${i}`,
        size,
        date: new Date(Date.UTC(2024, 0, 1) + n * 3_600_000),
        ...(noId ? { messageId: null, body: `No Message-ID here, message ${n} of ${spec.folder}.\n` } : {}),
      }),
      flags: FLAG_SETS[n % FLAG_SETS.length]!,
      internalDate: new Date(Date.UTC(2024, 0, 1) + n * 3_600_000),
    });
  }
  for (let d = 0; d < (spec.duplicates ?? 0); d++) {
    const original = messages[(d * 37 + 5) % spec.count]!;
    messages.push({ raw: original.raw, flags: FLAG_SETS[(d + 1) % FLAG_SETS.length]! });
  }
  return messages;
}

/** Seeds every folder straight into the server's Maildir (fast); returns the messages by folder. */
export async function seedAccount(server: DovecotServer, specs: SeedSpec[]): Promise<Map<string, SeedMessage[]>> {
  const seeded = new Map<string, SeedMessage[]>();
  let seed = 0;
  for (const spec of specs) {
    const messages = makeMessages(spec, seed);
    seed += spec.count;
    await dropIntoMaildir(server, USER, spec.folder, messages);
    seeded.set(spec.folder, messages);
  }
  return seeded;
}

// ---- Reading both sides ---------------------------------------------------

/** One message as compared: its Message-ID (or a body hash), CRLF size and sorted system flags. */
export interface MessageKey {
  /** `<id@host>`, or `sha256:<hex>` of the body for a message without a Message-ID. */
  id: string;
  size: number;
  flags: string[];
}

export interface LocalMessage extends MessageKey {
  /** The file name in cur/ or new/. */
  file: string;
  /** Size stated in the name (W=, else S=), if any. */
  namedSize?: number;
}

const LETTER_FLAGS: Record<string, string> = { D: '\\Draft', F: '\\Flagged', R: '\\Answered', S: '\\Seen', T: '\\Deleted' };

/** Folder directories of a maildir++ Maildir: INBOX is the root, 'A/B' is '.A.B'. */
function localFolderDirs(maildir: string): Map<string, string> {
  const dirs = new Map<string, string>();
  let entries: string[];
  try {
    entries = readdirSync(maildir);
  } catch {
    return dirs;
  }
  if (entries.includes('cur')) dirs.set('INBOX', maildir);
  for (const entry of entries) {
    if (!entry.startsWith('.') || entry === '.' || entry === '..') continue;
    const dir = path.join(maildir, entry);
    try {
      statSync(path.join(dir, 'cur'));
    } catch {
      continue;
    }
    const name = entry
      .slice(1)
      .split('.')
      .map((segment) => segment.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))))
      .join('/');
    dirs.set(name, dir);
  }
  return dirs;
}

/** Number of message files (cur/ and new/) in every folder: cheap enough to poll. */
export function countLocalMessages(maildir: string): number {
  let count = 0;
  for (const dir of localFolderDirs(maildir).values()) {
    for (const sub of ['cur', 'new']) {
      try {
        count += readdirSync(path.join(dir, sub)).length;
      } catch {
        // not there yet
      }
    }
  }
  return count;
}

/** Number of files left in the tmp/ directories (traces of interrupted deliveries). */
export function countLocalTmpFiles(maildir: string): number {
  let count = 0;
  for (const dir of localFolderDirs(maildir).values()) {
    try {
      count += readdirSync(path.join(dir, 'tmp')).length;
    } catch {
      // none
    }
  }
  return count;
}

function crlfSize(body: Buffer): number {
  let bareLf = 0;
  for (let i = body.indexOf(10); i >= 0; i = body.indexOf(10, i + 1)) if (i === 0 || body[i - 1] !== 13) bareLf++;
  return body.length + bareLf;
}

export function messageIdOf(body: Buffer): string | undefined {
  const text = body.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const header = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const match = /^message-id:[ \t]*(.*?)\r?$/im.exec(header);
  return match?.[1]?.trim() || undefined;
}

function bodyHash(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

/** Every message of every folder of the local Maildir, by folder name. */
export function readLocalMaildir(maildir: string): Map<string, LocalMessage[]> {
  const folders = new Map<string, LocalMessage[]>();
  for (const [name, dir] of localFolderDirs(maildir)) {
    const messages: LocalMessage[] = [];
    for (const sub of ['cur', 'new']) {
      // A run killed while creating the folder may have left cur/ without new/.
      for (const file of existsSync(path.join(dir, sub)) ? readdirSync(path.join(dir, sub)) : []) {
        const body = readFileSync(path.join(dir, sub, file));
        const colon = file.indexOf(':');
        const unique = colon < 0 ? file : file.slice(0, colon);
        const letters = colon >= 0 && file.slice(colon + 1).startsWith('2,') ? file.slice(colon + 3) : '';
        const fields = Object.fromEntries(
          unique
            .split(',')
            .slice(1)
            .map((field) => field.split('=') as [string, string]),
        );
        const named = fields.W ?? fields.S;
        messages.push({
          file: `${sub}/${file}`,
          id: messageIdOf(body) ?? bodyHash(body),
          size: crlfSize(body),
          flags: [...letters].flatMap((letter) => (LETTER_FLAGS[letter] ? [LETTER_FLAGS[letter]] : [])).sort(),
          ...(named !== undefined ? { namedSize: Number(named) } : {}),
        });
      }
    }
    folders.set(name, messages);
  }
  return folders;
}

/** Every message of the server's folders, with bodies hashed for those without a Message-ID. */
export async function readServer(server: DovecotServer, folders: readonly string[]): Promise<Map<string, MessageKey[]>> {
  const result = new Map<string, MessageKey[]>();
  for (const folder of folders) {
    const listed = await listServerMessages(server, USER, folder);
    const hashes = new Map<number, string>();
    const unnamed = listed.filter((m) => !m.messageId).map((m) => m.uid);
    if (unnamed.length > 0) {
      const client = await imapClient(server, USER);
      try {
        const lock = await client.getMailboxLock(folder, { readOnly: true });
        try {
          for (const row of await client.fetchAll(unnamed.join(','), { uid: true, source: true }, { uid: true })) {
            if (row.source) hashes.set(row.uid, bodyHash(row.source));
          }
        } finally {
          lock.release();
        }
      } finally {
        await client.logout();
      }
    }
    result.set(
      folder,
      listed.map((m) => ({ id: m.messageId ?? hashes.get(m.uid) ?? `uid:${m.uid}`, size: m.size, flags: [...m.flags].sort() })),
    );
  }
  return result;
}

const keyText = (m: MessageKey) => `${m.id} ${m.size} ${[...m.flags].sort().join(' ')}`;

function counts(keys: Iterable<string>): Map<string, number> {
  const map = new Map<string, number>();
  for (const key of keys) map.set(key, (map.get(key) ?? 0) + 1);
  return map;
}

/**
 * What differs between the server's folders and the local Maildir, as
 * readable lines (empty when the Maildir mirrors the server): messages
 * missing or extra (by Message-ID, size and flags), Message-IDs held more
 * often locally than on the server (duplicates), files whose size differs
 * from the one in their name (truncated), messages in folders the server
 * does not have.
 */
export async function mirrorDifferences(server: DovecotServer, maildir: string, folders: readonly string[]): Promise<string[]> {
  const remote = await readServer(server, folders);
  const local = readLocalMaildir(maildir);
  const problems: string[] = [];
  for (const folder of folders) {
    const theirs = remote.get(folder)!;
    const ours = local.get(folder) ?? [];
    if (!local.has(folder)) problems.push(`${folder}: no local folder`);
    const want = counts(theirs.map(keyText));
    const have = counts(ours.map(keyText));
    for (const [key, n] of want) if ((have.get(key) ?? 0) < n) problems.push(`${folder}: missing ${n - (have.get(key) ?? 0)}x ${key}`);
    for (const [key, n] of have) if ((want.get(key) ?? 0) < n) problems.push(`${folder}: extra ${n - (want.get(key) ?? 0)}x ${key}`);
    const serverIds = counts(theirs.map((m) => m.id));
    for (const [id, n] of counts(ours.map((m) => m.id))) {
      if (n > (serverIds.get(id) ?? 0)) problems.push(`${folder}: duplicate: ${id} held ${n}x locally, ${serverIds.get(id) ?? 0}x on the server`);
    }
    for (const m of ours) if (m.namedSize !== undefined && m.namedSize !== m.size) problems.push(`${folder}: ${m.file} holds ${m.size} bytes, its name says ${m.namedSize}`);
  }
  for (const [folder, messages] of local) {
    if (!folders.includes(folder) && messages.length > 0) problems.push(`${folder}: ${messages.length} messages in a folder not on the server`);
  }
  return problems.length > 50 ? [...problems.slice(0, 50), `... and ${problems.length - 50} more`] : problems;
}

/** Local file names per folder, sorted: to prove that a run changed nothing. */
export function localFileNames(maildir: string): Record<string, string[]> {
  return Object.fromEntries([...readLocalMaildir(maildir)].map(([folder, messages]) => [folder, messages.map((m) => m.file).sort()]));
}

// ---- The state database ---------------------------------------------------

export interface StateSummary {
  /** Pairs with both ids, by left folder name. */
  pairs: Record<string, number>;
  openIntents: number;
}

/** Reads the account's state database (read-only) after a run. */
export function readState(stateDir: string): StateSummary {
  const file = readdirSync(stateDir).find((name) => name.endsWith('.sqlite'));
  if (!file) throw new Error(`no state database in ${stateDir}`);
  const db = openSqlite(path.join(stateDir, file), { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare('SELECT f.left_name, count(p.rowid) FROM folder_pairs f LEFT JOIN pairs p ON p.folder_pair_id = f.id AND p.left_id IS NOT NULL AND p.right_id IS NOT NULL GROUP BY f.id')
      .raw()
      .all() as [string, number][];
    const openIntents = db.prepare('SELECT count(*) FROM intents').pluck().get() as number;
    return { pairs: Object.fromEntries(rows), openIntents };
  } finally {
    db.close();
  }
}

/** A file-system signature of the state database's WAL: it changes with every commit. */
export function walSignature(stateDir: string): string {
  try {
    const file = readdirSync(stateDir).find((name) => name.endsWith('.sqlite-wal'));
    if (!file) return '';
    const stats = statSync(path.join(stateDir, file), { bigint: true });
    return `${stats.size}:${stats.mtimeNs}`;
  } catch {
    return '';
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
