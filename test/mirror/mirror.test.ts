// `imapfw mirror` end to end: the CLI as a child process against a real Dovecot.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages, imapClient, listServerMessages, makeMessage } from '../support/messages.js';
import { folderDir, localFolders, localMessages, runCli, snapshot, type CliResult } from './helpers.js';

/** Distinctive, so that finding it in any output is meaningful. */
const PASSWORD = 'Kumquat-7f3a9c-Sesame!';
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj'] as const;

/** Every output of every run, checked for the password at the end. */
const outputs: string[] = [];
let server: DovecotServer;
let scratch: string;

beforeAll(async () => {
  server = await startDovecot({ users: Object.fromEntries(USERS.map((user) => [user, PASSWORD])), rawlog: true });
  scratch = await mkdtemp(join(tmpdir(), 'imapfw-mirror-test-'));
});

afterAll(async () => {
  await server?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

afterEach(() => {
  for (const output of outputs) expect(output).not.toContain(PASSWORD);
});

interface MirrorRun extends CliResult {
  json?: Summary;
}

interface Summary {
  folders: number;
  foldersUnchanged: number;
  foldersCreated: number;
  foldersRemoved: number;
  copied: number;
  deleted: number;
  flagsChanged: number;
  bytes: number;
  seconds: number;
  errors: { folder?: string; code?: string; message: string }[];
  complete: boolean;
  planned?: string[];
  warnings?: { folder?: string; message: string }[];
  keptFolders?: string[];
  moved?: number;
}

const paths = (user: string) => ({ maildir: join(scratch, user, 'Mail'), state: join(scratch, user, 'state') });

/** `imapfw mirror` for `user` into its own Maildir and state dir; --json unless `human`. */
async function mirror(user: string, extra: string[] = [], options: { human?: boolean; env?: Record<string, string> } = {}): Promise<MirrorRun> {
  const { maildir, state } = paths(user);
  const args = ['mirror', '--remote', server.url(user), '--maildir', maildir, '--password-env', 'MIRROR_PW', '--state-dir', state, ...(options.human ? [] : ['--json']), ...extra];
  const result = await runCli(args, { env: { MIRROR_PW: PASSWORD, ...options.env } });
  outputs.push(result.stdout, result.stderr);
  if (options.human) return result;
  const lines = result.stdout.trim().split('\n');
  expect(lines, `stdout: ${result.stdout}\nstderr: ${result.stderr}`).toHaveLength(1);
  return { ...result, json: JSON.parse(lines[0]!) as Summary };
}

function expectOk(run: MirrorRun): Summary {
  expect(run.json?.errors, run.stderr).toEqual([]);
  expect(run.status, run.stderr).toBe(0);
  return run.json!;
}

const date = (iso: string) => new Date(iso);

/** The verb of a command line: 'UID STORE 1 ...' -> 'UID STORE'. */
const verb = (command: string) => command.split(' ').slice(0, /^UID /i.test(command) ? 2 : 1).join(' ').toUpperCase();

describe('imapfw mirror', () => {
  it('copies new messages with their flags, keywords and INTERNALDATE (file mtime); a second run copies nothing', async () => {
    await appendMessages(server, 'alice', 'INBOX', [
      { raw: makeMessage({ subject: 'a plain' }), internalDate: date('2024-01-02T03:04:05Z') },
      { raw: makeMessage({ subject: 'b seen flagged' }), flags: ['\\Seen', '\\Flagged'], internalDate: date('2023-06-07T08:09:10Z') },
      { raw: makeMessage({ subject: 'c answered draft keyword' }), flags: ['\\Answered', '\\Draft', '$Important'], internalDate: date('2022-12-31T23:59:59Z') },
    ]);
    await appendMessages(server, 'alice', 'Archive/2024', [{ raw: makeMessage({ subject: 'd archived', size: 50_000 }), flags: ['\\Seen'], internalDate: date('2024-03-01T12:00:00Z') }]);
    const { maildir } = paths('alice');

    const firstRun = await mirror('alice');
    const first = expectOk(firstRun);
    expect(first).toMatchObject({ folders: 2, foldersUnchanged: 0, copied: 4, deleted: 0, flagsChanged: 0, complete: true });
    // Nothing on stderr when all went well: cron mails whatever a job prints there.
    expect(firstRun.stderr).toBe('');
    expect(first.bytes).toBeGreaterThan(50_000);
    expect(first.seconds).toBeGreaterThan(0);
    expect(Object.keys(first)).toEqual(expect.arrayContaining(['folders', 'copied', 'deleted', 'flagsChanged', 'bytes', 'seconds', 'errors']));

    expect(localFolders(maildir)).toEqual(expect.arrayContaining(['INBOX', 'Archive/2024']));
    const inbox = localMessages(maildir, 'INBOX');
    expect(inbox.map((m) => [m.subject, m.flags])).toEqual([
      ['a plain', []],
      ['b seen flagged', ['\\Flagged', '\\Seen']],
      ['c answered draft keyword', ['$Important', '\\Answered', '\\Draft']],
    ]);
    expect(inbox.map((m) => m.mtimeMs)).toEqual([date('2024-01-02T03:04:05Z'), date('2023-06-07T08:09:10Z'), date('2022-12-31T23:59:59Z')].map((d) => d.getTime()));
    const server_ = await listServerMessages(server, 'alice', 'INBOX');
    expect(inbox.map((m) => m.messageId).sort()).toEqual(server_.map((m) => m.messageId).sort());
    const archived = localMessages(maildir, 'Archive/2024');
    expect(archived.map((m) => [m.subject, m.flags, m.mtimeMs])).toEqual([['d archived', ['\\Seen'], date('2024-03-01T12:00:00Z').getTime()]]);

    const before = snapshot(maildir);
    const second = expectOk(await mirror('alice'));
    expect(second).toMatchObject({ folders: 2, foldersUnchanged: 2, copied: 0, deleted: 0, flagsChanged: 0, bytes: 0 });
    expect(snapshot(maildir)).toEqual(before);

    const human = await mirror('alice', [], { human: true });
    expect(human.status).toBe(0);
    expect(human.stderr).toBe('');
    expect(human.stdout).toMatch(/folders +2 \(2 unchanged/);
    expect(human.stdout).toMatch(/copied +0 messages/);
  });

  it('applies server changes (flags, expunges, new folders), keeps a deleted folder unless --delete-folders, and never writes to the server', async () => {
    const user = 'bob';
    const { maildir } = paths(user);
    const inboxUids = await appendMessages(server, user, 'INBOX', [
      { raw: makeMessage({ subject: 'm1' }) },
      { raw: makeMessage({ subject: 'm2' }), flags: ['\\Seen'] },
      { raw: makeMessage({ subject: 'm3' }), flags: ['\\Flagged'] },
      { raw: makeMessage({ subject: 'm4' }) },
    ]);
    await appendMessages(server, user, 'Old', [{ raw: makeMessage({ subject: 'o1' }) }]);
    await appendMessages(server, user, 'Work', [{ raw: makeMessage({ subject: 'w1' }) }]);

    const mirrorCommands: string[] = [];
    /** Runs the mirror and records what it sent; the server must look the same before and after. */
    const observed = async (extra: string[] = []) => {
      const from = (await server.commandsSeen()).length;
      const before = await Promise.all(['INBOX', 'Work'].map((folder) => listServerMessages(server, user, folder)));
      const start = (await server.commandsSeen()).length;
      const run = await mirror(user, extra);
      const seen = await server.commandsSeen();
      mirrorCommands.push(...seen.slice(start));
      expect(from).toBeLessThanOrEqual(start);
      expect(await Promise.all(['INBOX', 'Work'].map((folder) => listServerMessages(server, user, folder)))).toEqual(before);
      return expectOk(run);
    };

    expect(await observed()).toMatchObject({ copied: 6, foldersCreated: 2 });
    expect(localFolders(maildir)).toEqual(['INBOX', 'Old', 'Work']);

    // Changes on the server, by another client.
    const client = await imapClient(server, user);
    try {
      await client.mailboxOpen('INBOX');
      await client.messageFlagsAdd(String(inboxUids[0]), ['\\Seen', '\\Answered'], { uid: true });
      await client.messageFlagsRemove(String(inboxUids[1]), ['\\Seen'], { uid: true });
      await client.messageFlagsAdd(String(inboxUids[2]), ['$Todo'], { uid: true });
      await client.messageDelete(String(inboxUids[3]), { uid: true });
      await client.mailboxClose();
      await client.mailboxCreate('Projects/2025');
      await client.append('Projects/2025', makeMessage({ subject: 'p1' }), ['\\Flagged'], date('2025-05-05T05:05:05Z'));
      await client.mailboxDelete('Old');
    } finally {
      await client.logout();
    }

    const second = await observed();
    expect(second).toMatchObject({ copied: 1, deleted: 1, flagsChanged: 3, foldersRemoved: 0 });
    expect(second.foldersCreated).toBeGreaterThanOrEqual(1);
    expect(localMessages(maildir, 'INBOX').map((m) => [m.subject, m.flags])).toEqual([
      ['m1', ['\\Answered', '\\Seen']],
      ['m2', []],
      ['m3', ['$Todo', '\\Flagged']],
    ]);
    expect(localMessages(maildir, 'Projects/2025').map((m) => [m.subject, m.flags, m.mtimeMs])).toEqual([['p1', ['\\Flagged'], date('2025-05-05T05:05:05Z').getTime()]]);
    // The folder deleted on the server is kept, messages and all, and the summary says so.
    expect(second.keptFolders).toEqual(['right:Old']);
    expect(localFolders(maildir)).toContain('Old');
    expect(localMessages(maildir, 'Old').map((m) => m.subject)).toEqual(['o1']);

    // A run without changes, then the deleted folder removed on request.
    expect(await observed()).toMatchObject({ copied: 0, deleted: 0, flagsChanged: 0 });
    expect(localFolders(maildir)).toContain('Old');
    const removing = await observed(['--delete-folders']);
    expect(removing.foldersRemoved).toBe(1);
    expect(localFolders(maildir)).not.toContain('Old');
    expect(localFolders(maildir)).toEqual(expect.arrayContaining(['INBOX', 'Projects/2025', 'Work']));

    // A Maildir folder deleted by hand comes back, filled anew from the server; the run after it is quiet.
    rmSync(folderDir(maildir, 'Work'), { recursive: true });
    const restored = await observed();
    expect(restored).toMatchObject({ copied: 1, foldersCreated: 1, warnings: [{ folder: 'Work', message: expect.stringMatching(/^deleted from the Maildir since the last run: created there again and filled anew from the server/) }] });
    expect(localMessages(maildir, 'Work').map((m) => m.subject)).toEqual(['w1']);
    const quiet = await observed();
    expect(quiet).toMatchObject({ copied: 0, foldersCreated: 0 });
    expect(quiet.warnings).toBeUndefined();

    // Six runs with changes between them: only reads reached the server, folders opened with EXAMINE.
    const verbs = mirrorCommands.map(verb);
    const writes = ['STORE', 'APPEND', 'EXPUNGE', 'CREATE', 'DELETE', 'RENAME', 'COPY', 'MOVE', 'SELECT', 'SUBSCRIBE', 'UNSUBSCRIBE'];
    expect(verbs.filter((v) => writes.includes(v.replace(/^UID /, '')))).toEqual([]);
    const reads = new Set(['CAPABILITY', 'ID', 'NAMESPACE', 'ENABLE', 'LIST', 'LSUB', 'EXAMINE', 'STATUS', 'FETCH', 'UID FETCH', 'UID SEARCH', 'SEARCH', 'NOOP', 'CLOSE', 'UNSELECT', 'LOGOUT', '']);
    expect(verbs.filter((v) => !reads.has(v))).toEqual([]);
    expect(verbs).toContain('EXAMINE');
    expect(verbs.filter((v) => v === 'LOGOUT').length).toBeGreaterThanOrEqual(6);
  });

  it('follows a folder renamed on the server, its sub-folder with it, by moving the files: nothing downloaded again, the old folders gone', async () => {
    const user = 'heidi';
    const { maildir } = paths(user);
    await appendMessages(server, user, 'Projects', [{ raw: makeMessage({ subject: 'p1' }), flags: ['\\Seen'] }, { raw: makeMessage({ subject: 'p2' }) }, { raw: makeMessage({ subject: 'p3' }) }]);
    await appendMessages(server, user, 'Projects/Sub', [{ raw: makeMessage({ subject: 's1' }) }, { raw: makeMessage({ subject: 's2' }) }]);
    expect(expectOk(await mirror(user))).toMatchObject({ copied: 5 });
    const unique = (folder: string) => localMessages(maildir, folder).map((m) => [m.subject, m.file.replace(/^(cur|new)\//, '').replace(/:2,.*$/, '')]);
    const before = { top: unique('Projects'), sub: unique('Projects/Sub') };

    const client = await imapClient(server, user);
    try {
      await client.mailboxRename('Projects', 'Clients');
      await client.mailboxOpen('Clients');
      await client.messageFlagsAdd({ all: true }, ['\\Flagged']);
    } finally {
      await client.logout();
    }
    const from = (await server.commandsSeen()).length;

    const renamed = expectOk(await mirror(user));
    expect(renamed).toMatchObject({ copied: 0, moved: 5, deleted: 0, foldersCreated: 2, foldersRemoved: 2 });
    expect(renamed.keptFolders ?? []).toEqual([]);
    expect(localFolders(maildir)).toEqual(['Clients', 'Clients/Sub', 'INBOX']);
    // The same files (by their unique names), moved; the flag set on the server meanwhile applied.
    expect(unique('Clients')).toEqual(before.top);
    expect(unique('Clients/Sub')).toEqual(before.sub);
    expect(localMessages(maildir, 'Clients').map((m) => m.flags)).toEqual([['\\Flagged', '\\Seen'], ['\\Flagged'], ['\\Flagged']]);
    const bodies = (await server.commandsSeen()).slice(from).filter((line) => /FETCH\b/i.test(line) && /BODY(\.PEEK)?\[(?!HEADER\.FIELDS)|RFC822(?![.]SIZE)/i.test(line));
    expect(bodies).toEqual([]);
    expect(expectOk(await mirror(user))).toMatchObject({ copied: 0, moved: 0, foldersRemoved: 0, flagsChanged: 0 });
  });

  it('follows messages moved on the server, into an existing folder and into a new one, by moving the files: nothing downloaded again', async () => {
    const user = 'niaj';
    const { maildir } = paths(user);
    await appendMessages(server, user, 'INBOX', ['i1', 'i2', 'i3', 'i4', 'i5'].map((subject) => ({ raw: makeMessage({ subject }) })));
    await appendMessages(server, user, 'Archive', [{ raw: makeMessage({ subject: 'a1' }) }]);
    expect(expectOk(await mirror(user))).toMatchObject({ copied: 6 });
    const unique = (folder: string) => localMessages(maildir, folder).map((m) => [m.subject, m.file.replace(/^(cur|new)\//, '').replace(/:2,.*$/, '')] as const);
    const before = new Map(unique('INBOX'));

    const client = await imapClient(server, user);
    try {
      await client.mailboxCreate('Receipts');
      await client.mailboxOpen('INBOX');
      const uids = (await client.search({ all: true }, { uid: true })) as number[];
      // i1 and i2 to Archive (i2 flagged on the way), i3 to the new Receipts; i4 deleted; a new message delivered.
      await client.messageMove(uids.slice(0, 2).join(','), 'Archive', { uid: true });
      await client.messageMove(String(uids[2]), 'Receipts', { uid: true });
      await client.messageDelete(String(uids[3]), { uid: true });
      await client.mailboxOpen('Archive');
      await client.messageFlagsAdd({ header: { subject: 'i2' } }, ['\\Flagged']);
    } finally {
      await client.logout();
    }
    await appendMessages(server, user, 'INBOX', [{ raw: makeMessage({ subject: 'i6' }) }]);
    const from = (await server.commandsSeen()).length;
    const dry = expectOk(await mirror(user, ['--dry-run']));
    expect(dry).toMatchObject({ copied: 1, moved: 3, deleted: 1 });
    expect(unique('INBOX').map(([subject]) => subject)).toEqual(['i1', 'i2', 'i3', 'i4', 'i5']);

    const moved = expectOk(await mirror(user));
    expect(moved).toMatchObject({ copied: 1, moved: 3, deleted: 1, foldersCreated: 1 });
    // The same files (by their unique names) in their new folders; the flag set on the server applied.
    expect(unique('Archive').filter(([subject]) => subject !== 'a1')).toEqual([
      ['i1', before.get('i1')],
      ['i2', before.get('i2')],
    ]);
    expect(unique('Receipts')).toEqual([['i3', before.get('i3')]]);
    expect(unique('INBOX').map(([subject]) => subject)).toEqual(['i5', 'i6']);
    expect(localMessages(maildir, 'Archive').find((m) => m.subject === 'i2')?.flags).toEqual(['\\Flagged']);
    // Only the new message's body was fetched.
    const bodies = (await server.commandsSeen()).slice(from).filter((line) => /FETCH\b/i.test(line) && /BODY(\.PEEK)?\[(?!HEADER\.FIELDS)|RFC822(?![.]SIZE)/i.test(line));
    expect(bodies).toHaveLength(1);
    expect(expectOk(await mirror(user))).toMatchObject({ copied: 0, moved: 0, deleted: 0, flagsChanged: 0 });
  });

  it('--dry-run changes nothing locally and prints the plan', async () => {
    const user = 'carol';
    const { maildir, state } = paths(user);
    await appendMessages(server, user, 'INBOX', [{ raw: makeMessage({ subject: 'x1' }) }, { raw: makeMessage({ subject: 'x2' }), flags: ['\\Seen'] }]);
    await appendMessages(server, user, 'Lists/node', [{ raw: makeMessage({ subject: 'l1' }) }]);

    // No Maildir yet: none is created, and the plan says what would be.
    const fresh = await mirror(user, ['--dry-run'], { human: true });
    expect(fresh.status, fresh.stdout + fresh.stderr).toBe(0);
    expect(existsSync(maildir)).toBe(false);
    // Worded as what a run would do, not as done.
    expect(fresh.stdout).toMatch(/result +dry run: nothing was changed; the plan is below/);
    expect(fresh.stdout).toMatch(/\nplanned:\n.*create folder .*Lists\/node/s);
    expect(fresh.stdout).toMatch(/to copy +3 messages/);
    expect(fresh.stdout).not.toMatch(/^  copied|complete/m);
    const json = expectOk(await mirror(user, ['--dry-run']));
    expect(json).toMatchObject({ copied: 3, dryRun: true });
    expect(json.planned?.length).toBeGreaterThan(0);
    expect(existsSync(maildir)).toBe(false);
    expect(existsSync(state) ? snapshot(state).filter((line) => line.includes('.sqlite')) : []).toEqual([]);

    // An existing Maildir, with changes pending on the server: the dry run leaves it as it is.
    expectOk(await mirror(user));
    const client = await imapClient(server, user);
    try {
      await client.mailboxOpen('INBOX');
      await client.messageFlagsAdd('1', ['\\Flagged'], { uid: true });
      await client.messageDelete('2', { uid: true });
      await client.append('INBOX', makeMessage({ subject: 'x3' }));
    } finally {
      await client.logout();
    }
    const before = snapshot(maildir);
    const dry = expectOk(await mirror(user, ['--dry-run']));
    expect(dry).toMatchObject({ copied: 1, deleted: 1, flagsChanged: 1 });
    expect(dry.planned?.join('\n')).toMatch(/INBOX/);
    expect(snapshot(maildir)).toEqual(before);
    // The real run then does exactly that.
    expect(expectOk(await mirror(user))).toMatchObject({ copied: 1, deleted: 1, flagsChanged: 1 });
    expect(localMessages(maildir, 'INBOX').map((m) => [m.subject, m.flags])).toEqual([
      ['x1', ['\\Flagged']],
      ['x3', []],
    ]);
  });

  it('--folders and --exclude select folders by glob', async () => {
    const user = 'dave';
    const { maildir } = paths(user);
    for (const folder of ['INBOX', 'Archive/2023', 'Archive/2024', 'Spam', 'Lists/a']) {
      await appendMessages(server, user, folder, [{ raw: makeMessage({ subject: `in ${folder}` }) }]);
    }
    const run = expectOk(await mirror(user, ['--folders', 'INBOX', 'Archive/**', 'Lists/*', '--exclude', 'Archive/2023', 'Lists/*']));
    expect(run).toMatchObject({ folders: 2, copied: 2 });
    const folders = localFolders(maildir);
    expect(folders).toEqual(expect.arrayContaining(['INBOX', 'Archive/2024']));
    for (const skipped of ['Archive/2023', 'Spam', 'Lists/a']) expect(folders).not.toContain(skipped);

    const excludeOnly = expectOk(await mirror(user, ['--exclude', 'Spam']));
    expect(excludeOnly).toMatchObject({ copied: 2 });
    expect(localFolders(maildir)).toEqual(expect.arrayContaining(['INBOX', 'Archive/2023', 'Archive/2024', 'Lists/a']));
    expect(localFolders(maildir)).not.toContain('Spam');
  });

  it('exit codes: 3 wrong password, 4 unreachable server, 2 bad options; the password is never printed', async () => {
    const user = 'erin';
    const { maildir, state } = paths(user);
    const wrong = await mirror(user, [], { human: true, env: { MIRROR_PW: 'Not-The-Password-5150' } });
    expect(wrong.status).toBe(3);
    expect(wrong.stdout + wrong.stderr).toMatch(/password/i);
    expect(wrong.stdout + wrong.stderr).toMatch(/refused/);
    expect(wrong.stdout + wrong.stderr).not.toContain('Not-The-Password-5150');
    // Told once, in the summary: not again by the IMAP client's own log, with its stack.
    const stackFrame = /^\s+at .+:\d+:\d+\)?$/m;
    expect(wrong.stdout + wrong.stderr).not.toMatch(stackFrame);
    expect(wrong.stdout + wrong.stderr).not.toMatch(/Command failed/);
    const wrongJson = await mirror(user, [], { env: { MIRROR_PW: 'Not-The-Password-5150' } });
    expect(wrongJson.status).toBe(3);
    expect(wrongJson.json?.errors.map((e) => e.code)).toContain('EAUTH');

    // A port nobody listens on.
    const closed = await runCli(['mirror', '--remote', 'imap://erin@127.0.0.1:1', '--maildir', maildir, '--password-env', 'MIRROR_PW', '--state-dir', state], { env: { MIRROR_PW: PASSWORD } });
    outputs.push(closed.stdout, closed.stderr);
    expect(closed.status).toBe(4);
    expect(closed.stdout + closed.stderr).toMatch(/127\.0\.0\.1:1/);
    expect(closed.stdout + closed.stderr).not.toMatch(stackFrame);

    const usage = async (args: string[], message: RegExp) => {
      const result = await runCli(['mirror', ...args], { env: { MIRROR_PW: PASSWORD } });
      outputs.push(result.stdout, result.stderr);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    };
    await usage(['--maildir', maildir, '--password-env', 'MIRROR_PW'], /--remote is required/);
    await usage(['--remote', server.url(user), '--maildir', maildir, '--password-env', 'MIRROR_PW', '--layout', 'sideways'], /--layout/);
    await usage(['--remote', server.url(user), '--password-env', 'MIRROR_PW'], /--maildir is required/);
    await usage(['--remote', server.url(user), '--maildir', maildir, '--no-such-flag'], /no-such-flag/);
    await usage(['--remote', server.url(user), '--maildir', maildir, '--password-env', 'MIRROR_PW', '--max-connections', 'abc'], /^imapfw mirror: option '--max-connections <n>' argument 'abc' is invalid\. Expected a whole number of at least 1\.\n$/);
    // Checked as the command line is parsed: not by the logger as the run starts, with pino's stack.
    await usage(['--remote', server.url(user), '--maildir', maildir, '--password-env', 'MIRROR_PW', '--log-level', 'loud'], /^imapfw mirror: option '--log-level <level>' argument 'loud' is invalid\. Expected fatal, error, warn, info, debug or trace\.\n$/);
    // A bad URL is told once, before any connection starts (not by each connection's actor, with its stack).
    await usage(['--remote', 'http://mail.example.com', '--maildir', maildir, '--password-env', 'MIRROR_PW'], /^imapfw mirror: url "http:\/\/mail\.example\.com" must start with imaps:\/\/[^\n]*\n$/);
    await usage(['--remote', 'imaps://mail.example.com', '--maildir', maildir, '--password-env', 'MIRROR_PW'], /^imapfw mirror: url "imaps:\/\/mail\.example\.com" has no user[^\n]*\n$/);

    // A --maildir that holds other things and no Maildir (a home directory given by mistake): refused, untouched.
    const home = join(scratch, 'a-home');
    const { mkdir, readdir } = await import('node:fs/promises');
    await mkdir(join(home, 'Documents'), { recursive: true });
    await writeFile(join(home, 'notes.txt'), 'not mail');
    await usage(['--remote', server.url(user), '--maildir', home, '--password-env', 'MIRROR_PW'], /^imapfw mirror: \S*a-home is not a Maildir and not empty \(it holds Documents, notes\.txt, and no cur\/ nor folder\)[^\n]*\n$/);
    expect((await readdir(home)).sort()).toEqual(['Documents', 'notes.txt']);
    // A --maildir that is a file, or under one: refused before the run (not ENOTDIR folder after folder, exit 1).
    await usage(['--remote', server.url(user), '--maildir', join(home, 'notes.txt'), '--password-env', 'MIRROR_PW'], /^imapfw mirror: the Maildir \S*notes\.txt is a file, not a directory[^\n]*\n$/);
    await usage(['--remote', server.url(user), '--maildir', join(home, 'notes.txt', 'Mail'), '--password-env', 'MIRROR_PW'], /notes\.txt\/Mail cannot be made: \S*notes\.txt is a file, not a directory/);

    // A Maildir or a state directory that cannot be made (under /proc, where Node's own recursive mkdir would spin
    // forever): the run ends at once, saying which.
    const noMaildir = await runCli(['mirror', '--remote', server.url(user), '--maildir', '/proc/imapfw-no-such/Mail', '--password-env', 'MIRROR_PW', '--state-dir', state], { env: { MIRROR_PW: PASSWORD } });
    outputs.push(noMaildir.stdout, noMaildir.stderr);
    expect(noMaildir.status).toBe(1);
    expect(noMaildir.stdout + noMaildir.stderr).toMatch(/Maildir \/proc\/imapfw-no-such\/Mail.*ENOENT/);
    await usage(['--remote', server.url(user), '--maildir', maildir, '--password-env', 'MIRROR_PW', '--state-dir', '/proc/imapfw-no-such/state'], /^imapfw mirror: .*the state directory \/proc\/imapfw-no-such\/state cannot be made[^\n]*\n$/);

    // Verbose logs of a successful run carry no password either (checked after each test for every output).
    await appendMessages(server, user, 'INBOX', [{ raw: makeMessage({ subject: 'logged' }) }]);
    const traced = await mirror(user, ['--log-level', 'trace', '--backend', 'thread'], { human: true });
    expect(traced.status, traced.stderr.slice(-2000)).toBe(0);
    expect(traced.stderr).toMatch(/LOGIN|login|AUTHENTICATE/i);
    expect(traced.stderr).not.toContain(PASSWORD);
  });

  it('--config: a .mjs module exporting an account, a .ts module exporting a list of accounts', async () => {
    await appendMessages(server, 'frank', 'INBOX', [{ raw: makeMessage({ subject: 'for frank' }) }]);
    await appendMessages(server, 'grace', 'INBOX', [{ raw: makeMessage({ subject: 'for grace' }) }]);
    await appendMessages(server, 'grace', 'Notes', [{ raw: makeMessage({ subject: 'grace notes' }) }]);
    const dir = join(scratch, 'config');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dir, { recursive: true });
    const account = (user: string, extra = '') =>
      `{ remote: ${JSON.stringify(server.url(user))}, maildir: ${JSON.stringify(join(dir, user))}, password: { env: 'MIRROR_PW' }${extra} }`;
    await writeFile(join(dir, 'one.mjs'), `export default ${account('frank')};\n`);
    await writeFile(
      join(dir, 'two.ts'),
      `interface Account { name?: string; remote: string; maildir: string; password: { env: string }; folders?: string[] }\n` +
        `const accounts: Account[] = [${account('frank', ", name: 'frank-ts'")}, ${account('grace', ", folders: ['INBOX']")}];\nexport default accounts;\n`,
    );

    const one = await runCli(['mirror', '--config', join(dir, 'one.mjs'), '--state-dir', join(dir, 'state'), '--json'], { env: { MIRROR_PW: PASSWORD } });
    outputs.push(one.stdout, one.stderr);
    expect(one.status, one.stdout + one.stderr).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ copied: 1, errors: [] });
    expect(localMessages(join(dir, 'frank'), 'INBOX').map((m) => m.subject)).toEqual(['for frank']);

    const two = await runCli(['mirror', '--config', join(dir, 'two.ts'), '--state-dir', join(dir, 'state'), '--json'], { env: { MIRROR_PW: PASSWORD } });
    outputs.push(two.stdout, two.stderr);
    expect(two.status, two.stdout + two.stderr).toBe(0);
    // frank-ts is a new state: frank's message is already there and is paired, not copied again.
    expect(JSON.parse(two.stdout)).toMatchObject({ copied: 1, paired: 1, errors: [] });
    expect(localMessages(join(dir, 'frank'), 'INBOX').map((m) => m.subject)).toEqual(['for frank']);
    expect(localFolders(join(dir, 'grace'))).toEqual(['INBOX']);
    expect(localMessages(join(dir, 'grace'), 'INBOX').map((m) => m.subject)).toEqual(['for grace']);

    // The name frank-ts given to another Maildir: its state is the first one's, refused; --rebuild-state starts it anew.
    await writeFile(join(dir, 'three.mjs'), `export default { ...${account('frank')}, name: 'frank-ts', maildir: ${JSON.stringify(join(dir, 'frank2'))} };\n`);
    const three = ['mirror', '--config', join(dir, 'three.mjs'), '--state-dir', join(dir, 'state'), '--json'];
    const shared = await runCli(three, { env: { MIRROR_PW: PASSWORD } });
    expect(shared.status, shared.stdout + shared.stderr).toBe(2);
    expect(shared.stderr).toContain(`is that of mirror frank@127.0.0.1 -> ${join(dir, 'frank')}, not of mirror frank@127.0.0.1 -> ${join(dir, 'frank2')}`);
    // A dry run with --rebuild-state plans from an empty state and moves nothing aside.
    const planned = await runCli([...three, '--rebuild-state', '--dry-run'], { env: { MIRROR_PW: PASSWORD } });
    expect(planned.status, planned.stdout + planned.stderr).toBe(0);
    expect(JSON.parse(planned.stdout)).toMatchObject({ copied: 1, dryRun: true });
    expect(readdirSync(join(dir, 'state')).filter((name) => name.includes('.of-another-'))).toEqual([]);
    const rebuilt = await runCli([...three, '--rebuild-state'], { env: { MIRROR_PW: PASSWORD } });
    expect(rebuilt.status, rebuilt.stdout + rebuilt.stderr).toBe(0);
    expect(JSON.parse(rebuilt.stdout)).toMatchObject({ copied: 1, errors: [] });
    expect(localMessages(join(dir, 'frank2'), 'INBOX').map((m) => m.subject)).toEqual(['for frank']);

    const broken = await runCli(['mirror', '--config', join(dir, 'missing.mjs')], { env: { MIRROR_PW: PASSWORD } });
    expect(broken.status).toBe(2);
    expect(broken.stderr).toMatch(/--config .*missing\.mjs/);

    // A mistyped key is refused before anything runs (not ignored, the default layout used in silence).
    await writeFile(join(dir, 'typo.mjs'), `export default ${account('frank', ", layot: 'nested'")};\n`);
    const typo = await runCli(['mirror', '--config', join(dir, 'typo.mjs'), '--state-dir', join(dir, 'state')], { env: { MIRROR_PW: PASSWORD } });
    expect(typo.status, typo.stderr).toBe(2);
    expect(typo.stderr).toMatch(/typo\.mjs: account 1: unknown key "layot" \(did you mean "layout"\?\)/);
  });
});
