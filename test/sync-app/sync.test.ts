// `imapfw sync` end to end against a real Dovecot. The local Maildir is
// checked through a second Dovecot serving it: after a sync both servers
// list the same folders and, per folder, the same Message-IDs and flags.
import { existsSync, rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ImapFlow } from 'imapflow';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages, imapClient, listServerMessages, makeMessage, type SeedMessage } from '../support/messages.js';
import { snapshot } from '../mirror/helpers.js';
import {
  describeRun,
  dropLocal,
  localFile,
  localFiles,
  localFolderDir,
  maildirView,
  makeLocalFolder,
  moveLocal,
  NOTHING_DONE,
  runSync,
  serverView,
  setLocalFlags,
  syncDirs,
  type SyncDirs,
  type SyncRun,
  type SyncSummary,
} from './support.js';
import { startApp } from '../support/cli-run.js';

const USERS = ['policy', 'pull', 'laptop', 'flags', 'populated', 'mover', 'renamer', 'folders', 'conflict', 'expunge', 'dry', 'serveronly', 'servermover'] as const;
let server: DovecotServer;
const dirs: SyncDirs[] = [];

beforeAll(async () => {
  server = await startDovecot({ users: Object.fromEntries(USERS.map((user) => [user, `${user}-pw`])), rawlog: true });
});
afterAll(async () => {
  await server?.stop();
  for (const dir of dirs) dir.remove();
});

let started = 0;
afterEach((context) => {
  console.log(`${context.task.name}: ${Math.round(performance.now() - started)} ms`);
});

function newDirs(): SyncDirs {
  started = performance.now();
  const made = syncDirs();
  dirs.push(made);
  return made;
}

/** Messages with known Message-IDs: `<name@sync.test>`. */
function messages(names: string[], flags: string[][] = []): SeedMessage[] {
  return names.map((name, i) => ({ raw: makeMessage({ messageId: `<${name}@sync.test>`, subject: name, size: 400 + i * 50 }), flags: flags[i] ?? [] }));
}

const id = (name: string) => `<${name}@sync.test>`;

/** Runs `fn` with `folder` selected read-write on the user's account. */
async function onServer<T>(user: string, folder: string, fn: (client: ImapFlow, uidOf: (name: string) => Promise<string>) => Promise<T>): Promise<T> {
  const client = await imapClient(server, user);
  try {
    const lock = await client.getMailboxLock(folder);
    try {
      const uidOf = async (name: string) => {
        const uids = (await client.search({ header: { 'message-id': id(name) } }, { uid: true })) || [];
        if (uids.length !== 1) throw new Error(`${uids.length} messages ${id(name)} in ${folder}`);
        return String(uids[0]);
      };
      return await fn(client, uidOf);
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}

function expectOk(run: SyncRun): void {
  expect(run.code, describeRun(run)).toBe(0);
  expect(run.summary?.complete, describeRun(run)).toBe(true);
}

/**
 * Both servers (the real one, and a Dovecot serving the Maildir) list the
 * same folders and messages. A parent such as 'Lists' above 'Lists/dev' is
 * \Noselect on the server, and an empty folder in a Maildir (which has no
 * other kind of parent): such empty parents are left out of the comparison.
 */
async function expectInStep(user: string, maildir: string): Promise<Record<string, string[]>> {
  const remote = withoutEmptyParents(await serverView(server, user));
  expect(withoutEmptyParents(await maildirView(maildir))).toEqual(remote);
  return remote;
}

function withoutEmptyParents(view: Record<string, string[]>): Record<string, string[]> {
  const names = Object.keys(view);
  return Object.fromEntries(Object.entries(view).filter(([name, messages]) => messages.length > 0 || !names.some((other) => other.startsWith(`${name}/`))));
}

describe('imapfw sync', () => {
  it('brings new messages, deletions, flags and keywords made on both sides together; a second run plans nothing', async () => {
    const d = newDirs();
    await appendMessages(server, 'laptop', 'INBOX', messages(['i0', 'i1', 'i2', 'i3', 'i4'], [['\\Seen'], [], ['\\Seen', '$Work'], ['\\Flagged'], ['\\Answered', '\\Seen']]));
    await appendMessages(server, 'laptop', 'Archive', messages(['a0', 'a1', 'a2'], [['\\Seen'], ['\\Seen'], []]));
    await appendMessages(server, 'laptop', 'Lists/dev', messages(['l0', 'l1'], [['\\Seen'], ['\\Seen', 'project-x']]));
    const first = await runSync(server, 'laptop', d);
    expectOk(first);
    expect(first.summary).toMatchObject({ copied: 10, deleted: 0 });
    await expectInStep('laptop', d.maildir);

    // On the server (another device): a new message, an expunge, a flag, a keyword, a new folder.
    await appendMessages(server, 'laptop', 'INBOX', messages(['s-new'], [['\\Seen']]));
    await onServer('laptop', 'INBOX', async (client, uidOf) => {
      await client.messageDelete(await uidOf('i0'), { uid: true });
      await client.messageFlagsAdd(await uidOf('i1'), ['\\Flagged'], { uid: true });
    });
    await onServer('laptop', 'Archive', async (client, uidOf) => client.messageFlagsAdd(await uidOf('a0'), ['$Later'], { uid: true }));
    await appendMessages(server, 'laptop', 'Projects', messages(['p0'], [['\\Draft']]));
    // On the laptop: a new message, a new folder, a deletion, flags; a keyword through a local Dovecot.
    dropLocal(d.maildir, 'Archive', messages(['local-new'], [['\\Seen']]));
    dropLocal(d.maildir, 'Local', messages(['local-folder'], [[]]));
    rmSync(localFile(d.maildir, 'INBOX', id('i2')).path);
    setLocalFlags(d.maildir, 'INBOX', id('i3'), ['\\Answered', '\\Seen']);
    const local = await startDovecot({ maildirRoot: d.maildir, layout: 'maildir++', separator: '/', users: { me: 'me-pw' } });
    try {
      const client = await imapClient(local, 'me');
      const lock = await client.getMailboxLock('Lists/dev');
      const [l0] = (await client.search({ header: { 'message-id': id('l0') } }, { uid: true })) || [];
      await client.messageFlagsAdd(String(l0), ['$Label1'], { uid: true });
      await client.messageFlagsRemove(String(l0), ['\\Seen'], { uid: true });
      lock.release();
      await client.logout();
    } finally {
      await local.stop();
    }

    const second = await runSync(server, 'laptop', d);
    expectOk(second);
    expect(second.summary).toMatchObject({ copied: 4, deleted: 2, flagsChanged: 4, foldersCreated: 2 });
    const view = await expectInStep('laptop', d.maildir);
    expect(view).toEqual({
      INBOX: [`${id('i1')} \\Flagged`, `${id('i3')} \\Answered \\Seen`, `${id('i4')} \\Answered \\Seen`, `${id('s-new')} \\Seen`].sort(),
      Archive: [`${id('a0')} $Later \\Seen`, `${id('a1')} \\Seen`, `${id('a2')}`, `${id('local-new')} \\Seen`].sort(),
      'Lists/dev': [`${id('l0')} $Label1`, `${id('l1')} \\Seen project-x`].sort(),
      Local: [id('local-folder')],
      Projects: [`${id('p0')} \\Draft`],
    });

    const third = await runSync(server, 'laptop', d);
    expectOk(third);
    expect(third.summary).toMatchObject({ ...NOTHING_DONE, moved: 0 });
    // The second run's own writes on both sides were taken into its checkpoints: nothing is listed again.
    expect(third.summary?.foldersUnchanged).toBe(third.summary?.folders);
  });

  it('merges concurrent flag changes as deltas: server +\\Answered, laptop +\\Seen -\\Flagged -> \\Answered \\Seen on both', async () => {
    const d = newDirs();
    await appendMessages(server, 'flags', 'INBOX', messages(['m'], [['\\Flagged']]));
    expectOk(await runSync(server, 'flags', d));
    await onServer('flags', 'INBOX', async (client, uidOf) => client.messageFlagsAdd(await uidOf('m'), ['\\Answered'], { uid: true }));
    setLocalFlags(d.maildir, 'INBOX', id('m'), ['\\Seen']);

    const run = await runSync(server, 'flags', d);
    expectOk(run);
    expect(run.summary).toMatchObject({ copied: 0, flagsChanged: 2 });
    expect((await listServerMessages(server, 'flags', 'INBOX')).map((m) => m.flags)).toEqual([['\\Answered', '\\Seen']]);
    expect(localFile(d.maildir, 'INBOX', id('m')).letters).toBe('RS');
    await expectInStep('flags', d.maildir);
    const again = await runSync(server, 'flags', d);
    expect(again.summary).toMatchObject({ ...NOTHING_DONE, foldersUnchanged: again.summary?.folders });
  });

  it('first run with both sides already populated: messages on both are paired by identity, only the others are copied', async () => {
    const d = newDirs();
    const common = messages(['c0', 'c1', 'c2', 'c3', 'c4', 'c5'], [['\\Seen'], [], ['\\Flagged'], ['\\Seen'], [], []]);
    const archive = messages(['ca0', 'ca1', 'ca2']);
    await appendMessages(server, 'populated', 'INBOX', [...common, ...messages(['server-only'])]);
    await appendMessages(server, 'populated', 'Archive', archive);
    // Another tool's Maildir: the same bytes under its own names, flags partly different, one message of its own.
    dropLocal(d.maildir, 'INBOX', [...common.map((m, i) => ({ ...m, flags: i === 1 ? ['\\Answered'] : (m.flags ?? []) })), ...messages(['local-only'])]);
    dropLocal(d.maildir, 'Archive', archive);
    const before = (await server.commandsSeen()).length;

    const run = await runSync(server, 'populated', d);
    expectOk(run);
    expect(run.summary).toMatchObject({ copied: 2, paired: 9, deleted: 0 });
    const appends = (await server.commandsSeen()).slice(before).filter((line) => /^APPEND /i.test(line));
    expect(appends).toHaveLength(1);
    const view = await expectInStep('populated', d.maildir);
    // No base to diff on a first run: the flags are the union.
    expect(view.INBOX).toContain(`${id('c1')} \\Answered`);
    expect(view.INBOX).toHaveLength(8);
    expect(localFiles(d.maildir, 'INBOX')).toHaveLength(8);
    expect((await runSync(server, 'populated', d)).summary).toMatchObject(NOTHING_DONE);
  });

  it('a message moved between local folders is moved on the server with UID MOVE: no APPEND, no download', async () => {
    const d = newDirs();
    await appendMessages(server, 'mover', 'INBOX', messages(['keep', 'move-me', 'move-me-too'], [['\\Seen'], ['\\Flagged'], []]));
    await appendMessages(server, 'mover', 'Archive', messages(['old']));
    expectOk(await runSync(server, 'mover', d));
    const moved = moveLocal(d.maildir, 'INBOX', 'Archive', id('move-me'));
    moveLocal(d.maildir, 'INBOX', 'Archive', id('move-me-too'));
    const before = (await server.commandsSeen()).length;

    const run = await runSync(server, 'mover', d);
    expectOk(run);
    expect(run.summary).toMatchObject({ copied: 0, deleted: 0, moved: 2 });
    const commands = (await server.commandsSeen()).slice(before);
    expect(commands.filter((line) => /^(UID )?(APPEND|MOVE|COPY|EXPUNGE)\b/i.test(line))).toEqual([expect.stringMatching(/^UID MOVE \S+ "?Archive"?$/i)]);
    // Bodies are never fetched: a message's identity comes from its header fields at most.
    expect(commands.filter((line) => /^(UID )?FETCH\b/i.test(line) && /BODY(\.PEEK)?\[(?!HEADER\.FIELDS)|RFC822(?![.]SIZE)/i.test(line))).toEqual([]);
    const view = await expectInStep('mover', d.maildir);
    expect(view).toEqual({ INBOX: [`${id('keep')} \\Seen`], Archive: [id('move-me-too'), `${id('move-me')} \\Flagged`, id('old')].sort() });
    // The file kept its name: the Maildir was not rewritten.
    expect(localFile(d.maildir, 'Archive', id('move-me')).unique).toBe(moved.unique);
    expect((await runSync(server, 'mover', d)).summary).toMatchObject({ ...NOTHING_DONE, moved: 0 });
  });

  it('a message moved between server folders is followed by moving its local file, with the flags changed on both sides merged: nothing downloaded, nothing uploaded', async () => {
    const d = newDirs();
    await appendMessages(server, 'servermover', 'INBOX', messages(['stay', 'archived'], [[], ['\\Seen']]));
    await appendMessages(server, 'servermover', 'Archive', messages(['old']));
    expectOk(await runSync(server, 'servermover', d));
    const file = localFile(d.maildir, 'INBOX', id('archived'));
    setLocalFlags(d.maildir, 'INBOX', id('archived'), ['\\Seen', '\\Answered']);
    await onServer('servermover', 'INBOX', async (client) => {
      await client.messageMove({ header: { 'message-id': id('archived') } }, 'Archive');
      await client.mailboxOpen('Archive');
      await client.messageFlagsAdd({ header: { 'message-id': id('archived') } }, ['\\Flagged']);
    });
    const before = (await server.commandsSeen()).length;

    const run = await runSync(server, 'servermover', d);
    expectOk(run);
    expect(run.summary).toMatchObject({ copied: 0, deleted: 0, moved: 1 });
    const commands = (await server.commandsSeen()).slice(before);
    expect(commands.filter((line) => /^(UID )?(APPEND|MOVE|COPY|EXPUNGE)\b/i.test(line))).toEqual([]);
    expect(commands.filter((line) => /^(UID )?FETCH\b/i.test(line) && /BODY(\.PEEK)?\[(?!HEADER\.FIELDS)|RFC822(?![.]SIZE)/i.test(line))).toEqual([]);
    expect(localFile(d.maildir, 'Archive', id('archived')).unique).toBe(file.unique);
    expect(await expectInStep('servermover', d.maildir)).toEqual({ INBOX: [id('stay')], Archive: [`${id('archived')} \\Answered \\Flagged \\Seen`, id('old')].sort() });
    expect((await runSync(server, 'servermover', d)).summary).toMatchObject({ ...NOTHING_DONE, moved: 0 });
  });

  it('a folder renamed on the server is followed by renaming the local files into the new folder: nothing downloaded again', async () => {
    const d = newDirs();
    await appendMessages(server, 'renamer', 'Old', messages(['r0', 'r1', 'r2'], [['\\Seen'], [], ['\\Flagged']]));
    expectOk(await runSync(server, 'renamer', d));
    const names = localFiles(d.maildir, 'Old').map((file) => file.unique).sort();
    await onServer('renamer', 'INBOX', async (client) => {
      await client.mailboxRename('Old', 'New');
    });
    const before = (await server.commandsSeen()).length;

    const run = await runSync(server, 'renamer', d);
    expectOk(run);
    // The old local folder, emptied by the moves, goes with its name: the rename is complete on both sides.
    expect(run.summary).toMatchObject({ copied: 0, deleted: 0, moved: 3, foldersCreated: 1, foldersRemoved: 1 });
    expect(run.summary!.keptFolders ?? []).toEqual([]);
    const commands = (await server.commandsSeen()).slice(before);
    expect(commands.filter((line) => /^(UID )?FETCH\b/i.test(line) && /BODY(\.PEEK)?\[(?!HEADER\.FIELDS)|RFC822(?![.]SIZE)/i.test(line))).toEqual([]);
    expect(localFiles(d.maildir, 'New').map((file) => file.unique).sort()).toEqual(names);
    expect(existsSync(join(d.maildir, '.Old'))).toBe(false);
    expect((await runSync(server, 'renamer', d)).summary).toMatchObject({ ...NOTHING_DONE, foldersRemoved: 0 });
    expect(await expectInStep('renamer', d.maildir)).toEqual({ INBOX: [], New: [`${id('r0')} \\Seen`, id('r1'), `${id('r2')} \\Flagged`].sort() });
  });

  it('folders are created and removed per --create and --remove on both sides; a non-empty folder is never removed', async () => {
    const d = newDirs();
    await appendMessages(server, 'folders', 'INBOX', messages(['f-inbox']));
    await appendMessages(server, 'folders', 'Full', messages(['f-full']));
    await onServer('folders', 'INBOX', async (client) => {
      await client.mailboxCreate('EmptyOnServer');
      await client.mailboxCreate('EmptyToRemoveLocally');
    });
    makeLocalFolder(d.maildir, 'INBOX');
    dropLocal(d.maildir, 'Mine', messages(['f-mine']));

    // --create remote: the local folder goes to the server, server folders are not made locally.
    const onlyRemote = await runSync(server, 'folders', d, { args: ['--create', 'remote'] });
    expectOk(onlyRemote);
    expect(onlyRemote.summary).toMatchObject({ foldersCreated: 1 });
    expect(Object.keys(await serverView(server, 'folders')).sort()).toEqual(['EmptyOnServer', 'EmptyToRemoveLocally', 'Full', 'INBOX', 'Mine']);
    expect(existsSync(localFolderDir(d.maildir, 'Full'))).toBe(false);

    const both = await runSync(server, 'folders', d, { args: ['--create', 'both'] });
    expectOk(both);
    expect(both.summary).toMatchObject({ foldersCreated: 3, copied: 1 });
    await expectInStep('folders', d.maildir);

    // Removed on the server: Full (its message too) and EmptyToRemoveLocally; removed locally: EmptyOnServer.
    await onServer('folders', 'INBOX', async (client) => {
      await client.mailboxDelete('Full');
      await client.mailboxDelete('EmptyToRemoveLocally');
    });
    rmSync(localFolderDir(d.maildir, 'EmptyOnServer'), { recursive: true });

    const kept = await runSync(server, 'folders', d, { args: ['--remove', 'none'] });
    expectOk(kept);
    expect(kept.summary).toMatchObject({ foldersRemoved: 0 });
    expect(Object.keys(await serverView(server, 'folders'))).toContain('EmptyOnServer');

    const removed = await runSync(server, 'folders', d, { args: ['--remove', 'both'] });
    expectOk(removed);
    expect(removed.summary).toMatchObject({ foldersRemoved: 2, deleted: 0 });
    expect(removed.summary?.warnings?.map((w) => w.folder)).toEqual(['Full']);
    expect(Object.keys(await serverView(server, 'folders')).sort()).toEqual(['INBOX', 'Mine']);
    // The non-empty local Full stays, with its message.
    expect(localFiles(d.maildir, 'Full').map((f) => f.messageId)).toEqual([id('f-full')]);
    // No folder left (its directory may stay, holding the files a Dovecot serving this Maildir wrote there).
    expect(existsSync(join(localFolderDir(d.maildir, 'EmptyToRemoveLocally'), 'cur'))).toBe(false);
  });

  it('a message deleted on one side and flagged on the other in the same round is deleted on both (deletion wins)', async () => {
    const d = newDirs();
    await appendMessages(server, 'conflict', 'INBOX', messages(['gone-on-server', 'gone-locally', 'bystander']));
    expectOk(await runSync(server, 'conflict', d));
    await onServer('conflict', 'INBOX', async (client, uidOf) => {
      await client.messageDelete(await uidOf('gone-on-server'), { uid: true });
      await client.messageFlagsAdd(await uidOf('gone-locally'), ['\\Flagged', '$Important'], { uid: true });
    });
    setLocalFlags(d.maildir, 'INBOX', id('gone-on-server'), ['\\Flagged', '\\Seen']);
    rmSync(localFile(d.maildir, 'INBOX', id('gone-locally')).path);

    const run = await runSync(server, 'conflict', d);
    expectOk(run);
    expect(run.summary).toMatchObject({ copied: 0, deleted: 2 });
    expect(await expectInStep('conflict', d.maildir)).toEqual({ INBOX: [id('bystander')] });
  });

  it('--expunge: a message flagged \\Deleted is expunged on the sides named, and its deletion propagates', async () => {
    const d = newDirs();
    await appendMessages(server, 'expunge', 'INBOX', messages(['e-keep', 'e-local', 'e-server']));
    expectOk(await runSync(server, 'expunge', d));
    setLocalFlags(d.maildir, 'INBOX', id('e-local'), ['\\Deleted', '\\Seen']);
    await onServer('expunge', 'INBOX', async (client, uidOf) => client.messageFlagsAdd(await uidOf('e-server'), ['\\Deleted'], { uid: true }));

    // Without --expunge the flag is only a flag: it syncs like any other.
    const flagged = await runSync(server, 'expunge', d);
    expectOk(flagged);
    expect(flagged.summary).toMatchObject({ deleted: 0, flagsChanged: 2 });
    expect((await serverView(server, 'expunge')).INBOX).toContain(`${id('e-local')} \\Deleted \\Seen`);

    const expunged = await runSync(server, 'expunge', d, { args: ['--expunge', 'local'] });
    expectOk(expunged);
    expect(expunged.summary).toMatchObject({ deleted: 4 });
    expect(await expectInStep('expunge', d.maildir)).toEqual({ INBOX: [id('e-keep')] });
  });

  it('a run under another policy does not skip a folder a narrower run left unchanged: pull, then full, pushes the local message', async () => {
    const d = newDirs();
    await appendMessages(server, 'policy', 'INBOX', messages(['on-server']));
    expectOk(await runSync(server, 'policy', d));
    dropLocal(d.maildir, 'INBOX', messages(['on-laptop'], [['\\Seen']]));

    const pull = await runSync(server, 'policy', d, { args: ['--sync', 'pull'] });
    expectOk(pull);
    expect(pull.summary).toMatchObject({ copied: 0 });
    expect((await serverView(server, 'policy')).INBOX).toEqual([id('on-server')]);

    // Nothing changed on either side since the pull; the full policy still has a message to push.
    const full = await runSync(server, 'policy', d);
    expectOk(full);
    expect(full.summary).toMatchObject({ copied: 1, foldersUnchanged: 0 });
    await expectInStep('policy', d.maildir);
  });

  it('--sync pull keeps a flag changed on the laptop (as mbsync), while the server\'s changes still arrive; the server is not written', async () => {
    const d = newDirs();
    await appendMessages(server, 'pull', 'INBOX', messages(['mine', 'theirs'], [['\\Seen'], []]));
    expectOk(await runSync(server, 'pull', d));
    setLocalFlags(d.maildir, 'INBOX', id('mine'), ['\\Flagged']);
    await onServer('pull', 'INBOX', async (client, uidOf) => client.messageFlagsAdd(await uidOf('theirs'), ['\\Answered'], { uid: true }));

    const pull = await runSync(server, 'pull', d, { args: ['--sync', 'pull'] });
    expectOk(pull);
    expect(pull.summary).toMatchObject({ copied: 0, flagsChanged: 1 });
    expect((await serverView(server, 'pull')).INBOX).toEqual([`${id('mine')} \\Seen`, `${id('theirs')} \\Answered`]);
    const local = () => localFiles(d.maildir, 'INBOX').map((file) => `${file.messageId} ${file.letters}`).sort();
    expect(local()).toEqual([`${id('mine')} F`, `${id('theirs')} R`]);
    const again = await runSync(server, 'pull', d, { args: ['--sync', 'pull'] });
    expect(again.summary).toMatchObject(NOTHING_DONE);
    expect(local()).toEqual([`${id('mine')} F`, `${id('theirs')} R`]);
  });

  it('a rerun where only the server changed does not list the unchanged Maildir folder: its checkpoint counts its messages', async () => {
    const d = newDirs();
    await appendMessages(server, 'serveronly', 'INBOX', messages(['first']));
    expectOk(await runSync(server, 'serveronly', d));
    // cur/ and new/ mtimes set to a whole second long past (exact in ns): the next run's checkpoint holds these stamps.
    const ageInbox = () => {
      for (const sub of ['cur', 'new']) utimesSync(join(localFolderDir(d.maildir, 'INBOX'), sub), 1_700_000_000, 1_700_000_000);
    };
    ageInbox();
    expectOk(await runSync(server, 'serveronly', d));

    // A message slipped into the Maildir behind the checkpoint's back (the mtimes put back): only a listing would find it.
    await appendMessages(server, 'serveronly', 'INBOX', messages(['second']));
    dropLocal(d.maildir, 'INBOX', messages(['sneaky']));
    ageInbox();
    const serverOnly = await runSync(server, 'serveronly', d);
    expectOk(serverOnly);
    expect(serverOnly.summary).toMatchObject({ copied: 1 });
    expect((await serverView(server, 'serveronly')).INBOX).toEqual([id('first'), id('second')]);
    expect(localFiles(d.maildir, 'INBOX').map((file) => file.messageId).sort()).toEqual([id('first'), id('second'), id('sneaky')]);

    // The run's own delivery moved the mtimes, and its checkpoint was not refreshed over a file it did not expect: the next run lists the folder.
    const next = await runSync(server, 'serveronly', d);
    expectOk(next);
    expect(next.summary).toMatchObject({ copied: 1 });
    await expectInStep('serveronly', d.maildir);
  });

  it('exit codes as mirror: 3 wrong password, 2 bad option; the password is never printed', async () => {
    const d = newDirs();
    const wrong = await startApp<SyncSummary>('sync', ['--remote', server.url('dry'), '--maildir', d.maildir, '--password-env', 'PW', '--state-dir', d.state], { env: { PW: 'not-the-password' } }).done;
    expect(wrong.code, describeRun(wrong)).toBe(3);
    expect(wrong.stdout + wrong.stderr).not.toContain('not-the-password');
    expect(wrong.stdout).toMatch(/result +INCOMPLETE/);
    const bad = await runSync(server, 'dry', d, { args: ['--sync', 'pull', 'sideways'] });
    expect(bad.code, describeRun(bad)).toBe(2);
    expect(bad.stderr).toMatch(/unknown sync operation "sideways"/);
  });

  it('--dry-run lists every planned action per folder and changes nothing on either side', async () => {
    const d = newDirs();
    await appendMessages(server, 'dry', 'INBOX', messages(['d0', 'd1', 'd2'], [['\\Seen'], [], []]));
    await appendMessages(server, 'dry', 'Archive', messages(['d-archive']));

    // Never synced: no Maildir and no state are created.
    const first = await runSync(server, 'dry', d, { args: ['--dry-run'] });
    expectOk(first);
    // A dry run counts what it would do.
    expect(first.summary).toMatchObject({ copied: 4, foldersCreated: 2 });
    expect(first.summary?.planned).toEqual(expect.arrayContaining(['create folder right:INBOX', 'create folder right:Archive', expect.stringMatching(/^INBOX: copy left→right \d+ \(\\Seen\)$/), expect.stringMatching(/^Archive: copy left→right \d+$/)]));
    expect(first.summary?.planned?.filter((line) => / copy /.test(line))).toHaveLength(4);
    expect(existsSync(d.maildir)).toBe(false);
    expect(existsSync(d.state)).toBe(false);

    expectOk(await runSync(server, 'dry', d));
    await appendMessages(server, 'dry', 'INBOX', messages(['d-server-new']));
    await onServer('dry', 'INBOX', async (client, uidOf) => client.messageFlagsAdd(await uidOf('d1'), ['\\Flagged'], { uid: true }));
    dropLocal(d.maildir, 'Archive', messages(['d-local-new']));
    rmSync(localFile(d.maildir, 'INBOX', id('d2')).path);
    setLocalFlags(d.maildir, 'INBOX', id('d0'), []);
    dropLocal(d.maildir, 'LocalOnly', messages(['d-local-folder']));
    moveLocal(d.maildir, 'Archive', 'INBOX', id('d-archive'));

    const remoteBefore = await serverView(server, 'dry');
    // The state directory's own mtime changes (the account lock file comes and goes); the database must not.
    const tree = () => snapshot(d.root).filter((line) => !line.startsWith('state dir '));
    const localBefore = tree();
    const commandsBefore = (await server.commandsSeen()).length;
    const dry = await runSync(server, 'dry', d, { args: ['--dry-run'] });
    expectOk(dry);
    expect(await serverView(server, 'dry')).toEqual(remoteBefore);
    expect(tree()).toEqual(localBefore);
    // Opened read-only: not one write command reached the server.
    const writes = (await server.commandsSeen()).slice(commandsBefore).filter((line) => /^(UID )?(APPEND|STORE|MOVE|COPY|EXPUNGE|CREATE|DELETE|SELECT)\b/i.test(line));
    expect(writes).toEqual([]);
    const planned = dry.summary?.planned ?? [];
    expect(planned).toEqual(
      expect.arrayContaining([
        'create folder left:LocalOnly',
        expect.stringMatching(/^move left Archive→INBOX \d+ \(moved on right: /),
        expect.stringMatching(/^INBOX: copy left→right \d+$/),
        expect.stringMatching(/^INBOX: flags right \S+: \+\\Flagged$/),
        expect.stringMatching(/^INBOX: flags left \d+: -\\Seen$/),
        expect.stringMatching(/^INBOX: delete left \d+$/),
        expect.stringMatching(/^Archive: copy right→left \S+$/),
        expect.stringMatching(/^LocalOnly: copy right→left \S+$/),
      ]),
    );
    expect(planned).toHaveLength(8);

    // The same changes, for real: what the dry run listed is what happens.
    const real = await runSync(server, 'dry', d);
    expectOk(real);
    expect(real.summary).toMatchObject({ copied: 3, deleted: 1, flagsChanged: 2, moved: 1, foldersCreated: 1 });
    await expectInStep('dry', d.maildir);
  });
});
