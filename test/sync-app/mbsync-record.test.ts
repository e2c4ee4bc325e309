// A Maildir mbsync kept (SubFolders Maildir++, SyncState *), changed on both
// sides since mbsync last ran, then synced by imapfw for the first time. Its
// `.mbsyncstate` is the base of that first sync: a message deleted on one
// side since is deleted on the other (not copied back), a flag cleared on one
// side is cleared on the other (not merged back as a union). A record that
// cannot be believed (mbsync's unfinished run, pairs whose messages differ,
// a UID the server never gave) is not used, or not for those pairs.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages, imapClient, makeMessage } from '../support/messages.js';
import { startApp } from '../support/cli-run.js';
import { describeRun, NOTHING_DONE, runMbsync, localFile, localFiles, localFolderDir, runSync, serverView, syncDirs, type SyncDirs, type SyncSummary } from './support.js';

const PASSWORD = 'laptop-pw';

let server: DovecotServer;

beforeAll(async () => {
  server = await startDovecot({ users: { laptop: PASSWORD, lena: PASSWORD, lior: PASSWORD, liv: PASSWORD } });
});

afterAll(async () => {
  await server?.stop();
});

const id = (user: string, folder: string, i: number) => `<${folder}-${i}@${user}.test>`;

/** Seeds `folders` for `user`, then lets mbsync make its Maildir++ copy, keeping its state in each folder or in `syncState`. */
async function keptByMbsync(user: string, folders: Record<string, number>, syncState?: (dirs: SyncDirs) => string): Promise<SyncDirs> {
  const dirs = syncDirs();
  for (const [folder, count] of Object.entries(folders)) {
    const messages = Array.from({ length: count }, (_, i) => ({ raw: makeMessage({ messageId: id(user, folder, i), subject: `${folder} ${i}` }), flags: i < 2 ? ['\\Seen', ...(i === 1 ? ['\\Flagged'] : [])] : [] }));
    await appendMessages(server, user, folder, messages);
  }
  const stateDir = syncState?.(dirs);
  if (stateDir !== undefined) mkdirSync(stateDir);
  runMbsync(server, user, dirs.root, [`Inbox ${dirs.maildir}`, 'SubFolders Maildir++'], stateDir);
  return dirs;
}

/** On the server: expunges one message and removes a flag from another. */
async function changeOnServer(user: string, folder: string, expunge: string, unflag: { messageId: string; flag: string }): Promise<void> {
  const client = await imapClient(server, user);
  try {
    const lock = await client.getMailboxLock(folder);
    try {
      const uidOf = async (messageId: string) => {
        const found = await client.search({ header: { 'message-id': messageId } }, { uid: true });
        if (!found || found.length !== 1) throw new Error(`${messageId}: ${found ? found.length : 'no'} messages on the server`);
        return String(found[0]);
      };
      await client.messageDelete(await uidOf(expunge), { uid: true });
      await client.messageFlagsRemove(await uidOf(unflag.messageId), [unflag.flag], { uid: true });
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}

/** In the Maildir, as a mail client would: deletes one file and clears the flags of another. */
function changeLocally(maildir: string, folder: string, remove: string, clear: string): void {
  rmSync(localFile(maildir, folder, remove).path);
  const file = localFile(maildir, folder, clear);
  renameSync(file.path, join(localFolderDir(maildir, folder), 'cur', `${file.unique}:2,`));
}

describe("imapfw's first sync of a Maildir mbsync kept", () => {
  it('starts from mbsync\'s record: deletions and cleared flags since mbsync ran propagate, nothing comes back', async () => {
    const dirs = await keptByMbsync('laptop', { INBOX: 6, Archive: 3 });
    try {
      expect(readFileSync(join(dirs.maildir, '.mbsyncstate'), 'utf8')).toMatch(/^FarUidValidity \d+\n/);
      // Since mbsync last ran: on the server, INBOX-2 expunged and INBOX-1 unflagged; on the laptop, INBOX-3
      // deleted and INBOX-0 marked unread; a new message on each side.
      await changeOnServer('laptop', 'INBOX', id('laptop', 'INBOX', 2), { messageId: id('laptop', 'INBOX', 1), flag: '\\Flagged' });
      changeLocally(dirs.maildir, 'INBOX', id('laptop', 'INBOX', 3), id('laptop', 'INBOX', 0));
      await appendMessages(server, 'laptop', 'Archive', [{ raw: makeMessage({ messageId: '<delivered@server.test>' }) }]);
      writeFileSync(join(localFolderDir(dirs.maildir, 'Archive'), 'cur', '1790000000.laptop.host:2,S'), makeMessage({ messageId: '<written@laptop.test>' }));

      const dryRun = await runSync(server, 'laptop', dirs, { args: ['--dry-run'] });
      expect(dryRun.code, describeRun(dryRun)).toBe(0);
      expect(dryRun.summary).toMatchObject({ copied: 2, deleted: 2, paired: 7, errors: [] });
      expect(await serverView(server, 'laptop')).toMatchObject({ INBOX: expect.arrayContaining([`${id('laptop', 'INBOX', 3)}`]) });

      const run = await runSync(server, 'laptop', dirs);
      expect(run.code, describeRun(run)).toBe(0);
      expect(run.summary).toMatchObject({ copied: 2, deleted: 2, paired: 7, errors: [], complete: true });
      const view = await serverView(server, 'laptop');
      const inbox = [id('laptop', 'INBOX', 0), `${id('laptop', 'INBOX', 1)} \\Seen`, id('laptop', 'INBOX', 4), id('laptop', 'INBOX', 5)];
      expect(view.INBOX).toEqual(inbox);
      expect(view.Archive).toHaveLength(5);
      const local = (folder: string) =>
        localFiles(dirs.maildir, folder)
          .map((file) => `${file.messageId}${file.letters.includes('S') ? ' \\Seen' : ''}${file.letters.includes('F') ? ' \\Flagged' : ''}`)
          .sort();
      expect(local('INBOX')).toEqual(inbox);
      expect(local('Archive')).toHaveLength(5);

      const again = await runSync(server, 'laptop', dirs);
      expect(again.summary).toMatchObject({ copied: 0, deleted: 0, flagsChanged: 0, paired: 0, complete: true });
    } finally {
      dirs.remove();
    }
  });

  it("reads mbsync's records where its SyncState kept them (--mbsync-state), named as mbsync names them", async () => {
    const dirs = await keptByMbsync('lior', { INBOX: 3, 'Lists/dev': 2 }, (dirs) => join(dirs.root, 'mbsync-state'));
    try {
      const stateDir = join(dirs.root, 'mbsync-state');
      expect(readdirSync(stateDir).sort()).toEqual([':remote:INBOX_:local:INBOX', ':remote:Lists!dev_:local:Lists!dev']);
      const missing = await runSync(server, 'lior', dirs, { args: ['--mbsync-state', join(dirs.root, 'nowhere')] });
      expect(missing.code, describeRun(missing)).toBe(2);
      expect(missing.stderr).toMatch(/--mbsync-state: .*\/nowhere is not a directory/);

      await changeOnServer('lior', 'INBOX', id('lior', 'INBOX', 2), { messageId: id('lior', 'INBOX', 1), flag: '\\Flagged' });
      // Lists/dev emptied here: the record still says its two messages were deleted here, not that they are new there.
      for (const i of [0, 1]) rmSync(localFile(dirs.maildir, 'Lists/dev', id('lior', 'Lists/dev', i)).path);
      const run = await runSync(server, 'lior', dirs, { args: ['--mbsync-state', stateDir] });
      expect(run.code, describeRun(run)).toBe(0);
      expect(run.summary).toMatchObject({ copied: 0, deleted: 3, flagsChanged: 1, paired: 2, errors: [], complete: true });
      expect(await serverView(server, 'lior')).toEqual({ INBOX: [`${id('lior', 'INBOX', 0)} \\Seen`, `${id('lior', 'INBOX', 1)} \\Seen`], 'Lists/dev': [] });
      expect(localFiles(dirs.maildir, 'INBOX').map((file) => `${file.messageId} ${file.letters}`).sort()).toEqual([`${id('lior', 'INBOX', 0)} S`, `${id('lior', 'INBOX', 1)} S`]);
      expect(localFiles(dirs.maildir, 'Lists/dev')).toHaveLength(0);
    } finally {
      dirs.remove();
    }
  });

  it('syncs the channels of the very mbsyncrc mbsync ran with (--config ~/.mbsyncrc), its records found where its SyncState says', async () => {
    const dirs = await keptByMbsync('liv', { INBOX: 3, 'Lists/dev': 2 }, (dirs) => join(dirs.root, 'mbsync-state'));
    try {
      await changeOnServer('liv', 'INBOX', id('liv', 'INBOX', 2), { messageId: id('liv', 'INBOX', 1), flag: '\\Flagged' });
      rmSync(localFile(dirs.maildir, 'Lists/dev', id('liv', 'Lists/dev', 0)).path);
      const withConfig = (args: string[] = []) => startApp<SyncSummary>('sync', ['--config', join(dirs.root, 'mbsyncrc'), '--state-dir', dirs.state, '--json', ...args]).done;
      const dryRun = await withConfig(['--dry-run']);
      expect(dryRun.code, describeRun(dryRun)).toBe(0);
      expect(dryRun.summary).toMatchObject({ copied: 0, deleted: 2, flagsChanged: 1, paired: 3, errors: [] });
      const run = await withConfig();
      expect(run.code, describeRun(run)).toBe(0);
      expect(run.summary).toMatchObject({ copied: 0, deleted: 2, flagsChanged: 1, paired: 3, errors: [], complete: true });
      expect(await serverView(server, 'liv')).toEqual({ INBOX: [`${id('liv', 'INBOX', 0)} \\Seen`, `${id('liv', 'INBOX', 1)} \\Seen`], 'Lists/dev': [`${id('liv', 'Lists/dev', 1)} \\Flagged \\Seen`] });
      expect(localFiles(dirs.maildir, 'Lists/dev')).toHaveLength(1);
      expect((await withConfig()).summary).toMatchObject({ ...NOTHING_DONE, moved: 0 });
    } finally {
      dirs.remove();
    }
  });

  it('does not use a record mbsync left unfinished, nor pairs whose messages differ, nor one naming a UID the server never gave', async () => {
    const dirs = await keptByMbsync('lena', { INBOX: 4, Archive: 4, Sent: 3 });
    try {
      // INBOX: mbsync's journal is there. Its deleted message is copied back, since nothing tells a deletion from a new one.
      writeFileSync(join(dirs.maildir, '.mbsyncstate.journal'), '');
      rmSync(localFile(dirs.maildir, 'INBOX', id('lena', 'INBOX', 3)).path);
      // Archive: two entries crossed (each pairs one server message with the other's file); one deleted locally.
      const archive = localFolderDir(dirs.maildir, 'Archive');
      const state = readFileSync(join(archive, '.mbsyncstate'), 'utf8').replace(/^1 1 (\w*)$/m, '1 2 $1').replace(/^2 2 (\w*)$/m, '2 1 $1');
      writeFileSync(join(archive, '.mbsyncstate'), state);
      rmSync(localFile(dirs.maildir, 'Archive', id('lena', 'Archive', 3)).path);
      // Sent: an entry names a UID beyond the server folder's UIDNEXT.
      const sent = localFolderDir(dirs.maildir, 'Sent');
      writeFileSync(join(sent, '.mbsyncstate'), `${readFileSync(join(sent, '.mbsyncstate'), 'utf8')}999 99 S\n`);
      rmSync(localFile(dirs.maildir, 'Sent', id('lena', 'Sent', 2)).path);

      const run = await runSync(server, 'lena', dirs);
      expect(run.code, describeRun(run)).toBe(0);
      expect(run.stderr).toMatch(/mbsync's record of this folder is not used: mbsync's last run on it did not finish/);
      expect(run.stderr, 'a record used says so at debug only').not.toMatch(/is the base of its first sync/);
      expect(run.stderr).toMatch(/mbsync's record of this folder is not used: it names UID 999, which the server folder never gave/);
      // INBOX and Sent: copied back; Archive: deleted on the server, and its crossed pairs paired by identity (nothing copied).
      expect(run.summary).toMatchObject({ copied: 2, deleted: 1, errors: [], complete: true });
      const view = await serverView(server, 'lena');
      expect(view.INBOX).toHaveLength(4);
      expect(view.Sent).toHaveLength(3);
      expect(view.Archive).toEqual([`${id('lena', 'Archive', 0)} \\Seen`, `${id('lena', 'Archive', 1)} \\Flagged \\Seen`, id('lena', 'Archive', 2)]);
      expect(localFiles(dirs.maildir, 'Archive').map((file) => file.messageId).sort()).toEqual(view.Archive.map((line) => line.split(' ')[0]));
      expect(localFiles(dirs.maildir, 'INBOX')).toHaveLength(4);
    } finally {
      dirs.remove();
    }
  });
});
