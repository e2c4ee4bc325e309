// DESIGN §5 for a first sync over a Maildir mbsync kept: its record is the
// base (mbsync-record.test.ts), and the pairs checked from it are committed
// before anything is done. After mbsync, both sides change (deletions, flags
// cleared, 400 new messages each); the first imapfw sync is then killed with
// SIGKILL at several moments, the first right after its first state commit,
// and run again each time. After every kill no message is held twice on a
// side, none is lost, and none deleted on one side since mbsync ran is ever
// copied back there; the last run ends with both sides as the record's base
// says, and a run after it has nothing to do.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { dropIntoMaildir, imapClient, type SeedMessage } from '../support/messages.js';
import { countLocalMessages, makeMessages, walSignature } from '../mirror/support.js';
import { countServerFiles, describeRun, dropLocal, localFile, localFiles, NOTHING_DONE, runMbsync, runSync, serverView, setLocalFlags, startSync, syncDirs, type SyncDirs } from './support.js';

const USER = 'mara';
let server: DovecotServer;
let dirs: SyncDirs;

beforeAll(async () => {
  server = await startDovecot({ users: { [USER]: 'mara-pw' } });
  dirs = syncDirs();
});
afterAll(async () => {
  await server?.stop();
  dirs?.remove();
});

const messageIdOf = (message: SeedMessage) => /^Message-ID: (\S+)/im.exec(message.raw.toString('latin1'))![1]!;

interface Moment {
  name: string;
  kill(o: { commits: number; progress: number }): boolean;
}

const MOMENTS: Moment[] = [
  { name: 'right after the first state commit', kill: (o) => o.commits >= 1 },
  { name: 'right after the second state commit', kill: (o) => o.commits >= 2 },
  ...[0.2, 0.5, 0.8].map((p) => ({ name: `${p * 100}% of the new messages copied`, kill: (o: { progress: number }) => o.progress >= p })),
];

describe("sync: SIGKILL during the first sync over mbsync's Maildir", () => {
  it(`killed at ${MOMENTS.length} moments: nothing deleted since mbsync comes back, nothing lost or twice, flags cleared stay cleared`, async () => {
    const seeded = makeMessages({ folder: 'INBOX', count: 600 }, 0).map((message, i) => ({ ...message, flags: i < 300 ? ['\\Seen'] : [] }));
    await dropIntoMaildir(server, USER, 'INBOX', seeded);
    runMbsync(server, USER, dirs.root, [`Inbox ${dirs.maildir}`, 'SubFolders Maildir++']);
    const ids = seeded.map(messageIdOf);
    const expected = new Map(ids.map((id, i) => [id, i < 300 ? '\\Seen' : '']));

    // Since mbsync ran: the server expunges 0-99 and clears \Seen on 250-299; the laptop deletes 100-199 and clears
    // \Seen on 200-249; 400 new messages on each side.
    const serverGone = new Set(ids.slice(0, 100));
    const localGone = new Set(ids.slice(100, 200));
    const client = await imapClient(server, USER);
    try {
      const lock = await client.getMailboxLock('INBOX');
      try {
        const uids = new Map<string, number>();
        for (const m of await client.fetchAll('1:*', { uid: true, envelope: true })) uids.set(m.envelope!.messageId!, m.uid);
        await client.messageDelete([...serverGone].map((id) => uids.get(id)).join(','), { uid: true });
        await client.messageFlagsRemove(ids.slice(250, 300).map((id) => uids.get(id)).join(','), ['\\Seen'], { uid: true });
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
    for (const id of localGone) rmSync(localFile(dirs.maildir, 'INBOX', id).path);
    for (const id of ids.slice(200, 250)) setLocalFlags(dirs.maildir, 'INBOX', id, []);
    for (const id of [...serverGone, ...localGone]) expected.delete(id);
    for (const id of ids.slice(200, 300)) expected.set(id, '');
    const unflagged = (messages: SeedMessage[]) => messages.map((message) => ({ ...message, flags: [] }));
    const serverNew = unflagged(makeMessages({ folder: 'INBOX', count: 400 }, 10_000));
    const localNew = unflagged(makeMessages({ folder: 'INBOX', count: 400 }, 20_000));
    await dropIntoMaildir(server, USER, 'INBOX', serverNew);
    dropLocal(dirs.maildir, 'INBOX', localNew);
    for (const message of [...serverNew, ...localNew]) expected.set(messageIdOf(message), '');

    const problems = async (): Promise<string[]> => {
      const found: string[] = [];
      const onServer = (await serverView(server, USER)).INBOX!.map((line) => line.split(' ')[0]!);
      const local = localFiles(dirs.maildir, 'INBOX').map((file) => file.messageId!);
      for (const [side, held, gone] of [['server', onServer, serverGone], ['local', local, localGone]] as const) {
        const seen = new Set<string>();
        for (const id of held) {
          if (seen.has(id)) found.push(`${side}: ${id} twice`);
          seen.add(id);
          if (gone.has(id)) found.push(`${side}: ${id} came back after its deletion here`);
        }
      }
      for (const id of expected.keys()) if (!onServer.includes(id) && !local.includes(id)) found.push(`lost: ${id}`);
      return found;
    };

    const baseline = { local: countLocalMessages(dirs.maildir), server: countServerFiles(server.maildirOf(USER)) };
    const kills: string[] = [];
    for (const moment of MOMENTS) {
      const running = startSync(server, USER, dirs, { timeoutMs: 90_000 });
      let wal = walSignature(dirs.state);
      let commits = 0;
      let exited = false;
      let killed = false;
      void running.done.then(() => (exited = true));
      while (!exited && !killed) {
        const now = walSignature(dirs.state);
        if (now !== wal) [wal, commits] = [now, commits + 1];
        const progress = (Math.max(0, countLocalMessages(dirs.maildir) - baseline.local) + Math.max(0, countServerFiles(server.maildirOf(USER)) - baseline.server)) / 800;
        if (moment.kill({ commits, progress })) {
          running.child.kill('SIGKILL');
          killed = true;
        } else await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const run = await running.done;
      kills.push(`${run.signal === 'SIGKILL' ? 'killed' : `ended (${run.code})`}: ${moment.name}`);
      expect(await problems(), `after "${moment.name}"`).toEqual([]);
    }

    const last = await runSync(server, USER, dirs);
    expect(last.code, describeRun(last)).toBe(0);
    const want = [...expected].map(([id, flags]) => `${id} ${flags}`.trim()).sort();
    expect((await serverView(server, USER)).INBOX).toEqual(want);
    const local = localFiles(dirs.maildir, 'INBOX').map((file) => `${file.messageId}${file.letters.includes('S') ? ' \\Seen' : ''}`).sort();
    expect(local).toEqual(want);
    const again = await runSync(server, USER, dirs);
    expect(again.summary).toMatchObject({ ...NOTHING_DONE, moved: 0 });
    console.log(kills.join('\n'));
    expect(kills.filter((kill) => kill.startsWith('killed')).length).toBeGreaterThanOrEqual(3);
  }, 300_000);
});
