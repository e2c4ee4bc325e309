// Helpers of the sync app's integration tests: run `imapfw sync` as a child
// process, read a server's folders and messages over IMAP, read the local
// Maildir through a second Dovecot serving it, and change the local Maildir
// the way a mail client or a script does (renaming and moving files).
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeAppRun, startApp, type AppRun, type RunningApp } from '../support/cli-run.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { imapClient, listServerMessages, type SeedMessage } from '../support/messages.js';
import type { RunSummary } from '../../src/contrib/cli/summary.js';

/** What `sync --json` prints (src/contrib/cli/summary.ts). */
export type SyncSummary = RunSummary;

export type SyncRun = AppRun<SyncSummary>;

export interface SyncDirs {
  root: string;
  maildir: string;
  state: string;
  remove(): void;
}

export function syncDirs(): SyncDirs {
  const root = mkdtempSync(path.join(os.tmpdir(), 'imapfw-sync-test-'));
  chmodSync(root, 0o755); // a second Dovecot's mail user must reach the Maildir inside
  return { root, maildir: path.join(root, 'Maildir'), state: path.join(root, 'state'), remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** Starts `imapfw sync --json` between `user`'s account on `server` and `dirs.maildir`. */
export function startSync(server: DovecotServer, user: string, dirs: SyncDirs, options: { args?: string[]; timeoutMs?: number } = {}): RunningApp<SyncSummary> {
  const args = ['--remote', server.url(user), '--maildir', dirs.maildir, '--password-env', 'IMAPFW_TEST_PW', '--state-dir', dirs.state, '--json', ...(options.args ?? [])];
  return startApp<SyncSummary>('sync', args, { env: { IMAPFW_TEST_PW: server.users[user]! }, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
}

export function runSync(server: DovecotServer, user: string, dirs: SyncDirs, options: { args?: string[]; timeoutMs?: number } = {}): Promise<SyncRun> {
  return startSync(server, user, dirs, options).done;
}

export const describeRun = describeAppRun;

/** A run that changed nothing and had nothing to change. */
export const NOTHING_DONE = { copied: 0, deleted: 0, flagsChanged: 0, foldersCreated: 0, foldersRemoved: 0, errors: [], skipped: [], complete: true } as const;

// ---- Reading both sides over IMAP ----------------------------------------

/** Per folder (selectable ones, '/'-separated), its messages as sorted `Message-ID flags...` lines. */
export type MailboxView = Record<string, string[]>;

export async function serverView(server: DovecotServer, user: string): Promise<MailboxView> {
  const client = await imapClient(server, user);
  let folders: string[];
  try {
    const listed = await client.list();
    folders = listed.filter((folder) => !folder.flags.has('\\Noselect') && !folder.flags.has('\\NonExistent')).map((folder) => folder.path);
  } finally {
    await client.logout();
  }
  const view: MailboxView = {};
  for (const folder of folders.sort()) {
    const name = server.separator === '/' ? folder : folder.split(server.separator).join('/');
    view[name] = (await listServerMessages(server, user, folder)).map((m) => `${m.messageId ?? `uid:${m.uid}`} ${m.flags.join(' ')}`.trim()).sort();
  }
  return view;
}

/**
 * The local Maildir as a second, independent IMAP server sees it: a Dovecot
 * started on the Maildir, its folders and messages listed, then stopped.
 */
export async function maildirView(maildir: string, layout: 'maildir++' | 'fs' = 'maildir++'): Promise<MailboxView> {
  const local = await startDovecot({ maildirRoot: maildir, layout, separator: '/', users: { me: 'me-pw' } });
  try {
    return await serverView(local, 'me');
  } finally {
    await local.stop();
  }
}

// ---- The local Maildir as a mail client changes it ------------------------

const LETTERS: Record<string, string> = { '\\Draft': 'D', '\\Flagged': 'F', '\\Answered': 'R', '\\Seen': 'S', '\\Deleted': 'T' };

/** The directory of a maildir++ folder ('A/B' is '.A.B'; INBOX is the root). */
export function localFolderDir(maildir: string, folder: string): string {
  return folder === 'INBOX' ? maildir : path.join(maildir, `.${folder.split('/').join('.')}`);
}

export interface LocalFile {
  /** Full path. */
  path: string;
  /** The unique name (before ':2,'). */
  unique: string;
  /** The flag letters after ':2,'. */
  letters: string;
  messageId: string | undefined;
}

/** The message files of a local folder (cur/ and new/). */
export function localFiles(maildir: string, folder: string): LocalFile[] {
  const dir = localFolderDir(maildir, folder);
  const files: LocalFile[] = [];
  for (const sub of ['cur', 'new']) {
    if (!existsSync(path.join(dir, sub))) continue;
    for (const name of readdirSync(path.join(dir, sub))) {
      const file = path.join(dir, sub, name);
      const head = readFileSync(file, 'latin1').split(/\r?\n\r?\n/, 1)[0]!;
      const colon = name.indexOf(':2,');
      files.push({
        path: file,
        unique: colon < 0 ? name : name.slice(0, colon),
        letters: colon < 0 ? '' : name.slice(colon + 3),
        messageId: /^message-id:\s*(.+?)\s*$/im.exec(head)?.[1],
      });
    }
  }
  return files;
}

/** The local file of the message with this Message-ID; throws when there is not exactly one. */
export function localFile(maildir: string, folder: string, messageId: string): LocalFile {
  const found = localFiles(maildir, folder).filter((file) => file.messageId === messageId);
  if (found.length !== 1) throw new Error(`${found.length} local files of ${messageId} in ${folder}`);
  return found[0]!;
}

/** Sets a local message's system flags by renaming its file into cur/, as a mail client does. */
export function setLocalFlags(maildir: string, folder: string, messageId: string, flags: string[]): void {
  const file = localFile(maildir, folder, messageId);
  const letters = flags.map((flag) => LETTERS[flag] ?? '').sort().join('');
  const keywordLetters = [...file.letters].filter((letter) => letter >= 'a' && letter <= 'z').join('');
  renameSync(file.path, path.join(localFolderDir(maildir, folder), 'cur', `${file.unique}:2,${letters}${keywordLetters}`));
}

/** Moves a message file to another local folder, keeping its name (what `mv`, mutt or notmuch do). */
export function moveLocal(maildir: string, from: string, to: string, messageId: string): LocalFile {
  const file = localFile(maildir, from, messageId);
  renameSync(file.path, path.join(localFolderDir(maildir, to), 'cur', path.basename(file.path)));
  return file;
}

/** Creates a local folder's directories, as a mail client does. */
export function makeLocalFolder(maildir: string, folder: string): void {
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(path.join(localFolderDir(maildir, folder), sub), { recursive: true });
}

let dropped = 0;

/** Writes messages into a local folder as another tool would (its own unique names), creating the folder if needed. */
export function dropLocal(maildir: string, folder: string, messages: SeedMessage[]): void {
  makeLocalFolder(maildir, folder);
  for (const message of messages) {
    const letters = (message.flags ?? []).map((flag) => LETTERS[flag] ?? '').sort().join('');
    const name = `${Math.floor(Date.now() / 1000)}.M${++dropped}P${process.pid}.othertool:2,${letters}`;
    const tmp = path.join(localFolderDir(maildir, folder), 'tmp', name);
    writeFileSync(tmp, message.raw);
    renameSync(tmp, path.join(localFolderDir(maildir, folder), 'cur', name));
  }
}

/** Message files in a server's Maildir (Dovecot's own, LAYOUT=fs): cheap enough to poll. */
export function countServerFiles(maildir: string): number {
  let count = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      if (entry.name === 'cur' || entry.name === 'new') count += readdirSync(path.join(dir, entry.name)).length;
      else if (entry.name !== 'tmp') walk(path.join(dir, entry.name));
    }
  };
  walk(maildir);
  return count;
}

// ---- mbsync, as the laptop used it before imapfw -------------------------

/**
 * Runs mbsync once over every folder of `user`'s account (Sync All, Create
 * Both), into a Maildir store described by `storeLines` (Path, Inbox,
 * SubFolders); its config goes in `root`. It keeps its state in each Maildir
 * folder (SyncState *), or in `syncState`, a directory, as mbsync's global
 * setting (its default is ~/.mbsync/).
 */
export function runMbsync(server: DovecotServer, user: string, root: string, storeLines: string[], syncState?: string): void {
  const rc = path.join(root, 'mbsyncrc');
  const global = syncState === undefined ? [] : [`SyncState ${syncState}/`, ''];
  const account = ['IMAPAccount remote', `Host ${server.host}`, `Port ${server.port}`, `User ${user}`, `Pass ${server.users[user]!}`, 'SSLType None', 'AuthMechs LOGIN'];
  const channel = ['Channel laptop', 'Far :remote:', 'Near :local:', 'Patterns *', 'Create Both', 'Sync All', ...(syncState === undefined ? ['SyncState *'] : [])];
  const config = [...global, ...account, '', 'IMAPStore remote', 'Account remote', '', 'MaildirStore local', ...storeLines, '', ...channel, ''];
  writeFileSync(rc, config.join('\n'), { mode: 0o600 });
  execFileSync('mbsync', ['-c', rc, '-a', '-q'], { stdio: ['ignore', 'pipe', 'inherit'] });
}

/**
 * Runs offlineimap once over every folder of `user`'s account into the
 * Maildir `mail`, in its default local layout (sep = .), its metadata in
 * `metadata`; its config goes in `root`.
 */
export function runOfflineimap(server: DovecotServer, user: string, root: string, mail: string, metadata: string): void {
  const rc = path.join(root, 'offlineimaprc');
  const config = [
    '[general]', 'accounts = laptop', `metadata = ${metadata}`, '',
    '[Account laptop]', 'localrepository = local', 'remoterepository = remote', '',
    '[Repository local]', 'type = Maildir', `localfolders = ${mail}`, '',
    '[Repository remote]', 'type = IMAP', `remotehost = ${server.host}`, `remoteport = ${server.port}`, `remoteuser = ${user}`, `remotepass = ${server.users[user]!}`, 'ssl = no', 'starttls = no', '',
  ];
  writeFileSync(rc, config.join('\n'), { mode: 0o600 });
  execFileSync('offlineimap', ['-c', rc, '-o', '-u', 'quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
}
