// Two copies of one mail (same Message-ID and bytes, different
// INTERNALDATEs), synced once; then the server renumbers the folder (a new
// UIDVALIDITY, as after an index rebuild or a move to another server) and
// another client swaps the copies' flags. The rerun finds each pair's server
// copy again by its date, not by the flags it had, so that it sees both flag
// changes and brings them to the Maildir; by flags alone each pair would take
// the other copy and both changes would be lost.
import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages, imapClient, makeMessage } from '../support/messages.js';
import { describeRun, localFiles, runSync, syncDirs, type SyncDirs } from './support.js';

const EARLIER = new Date('2024-01-04T07:00:00Z');
const LATER = new Date('2025-06-01T18:30:00Z');

let server: DovecotServer;
let dirs: SyncDirs;

beforeAll(async () => {
  server = await startDovecot({ users: { alice: 'alice-pw' } });
  dirs = syncDirs();
});

afterAll(async () => {
  await server?.stop();
  dirs?.remove();
});

/** Dovecot gives INBOX a new UIDVALIDITY and new UIDs once its uidlist and indexes are gone (no session holds them). */
function renumberInbox(): void {
  const root = server.maildirOf('alice');
  for (const name of readdirSync(root)) if (name === 'dovecot-uidlist' || name.startsWith('dovecot.index')) rmSync(path.join(root, name));
}

/** The local copies as [mtime, flag letters], by date. */
function localCopies(): [number, string][] {
  return localFiles(dirs.maildir, 'INBOX')
    .map((file): [number, string] => [statSync(file.path).mtimeMs, file.letters])
    .sort((a, b) => a[0] - b[0]);
}

describe('sync: duplicates after the server renumbered their folder', () => {
  it('each pair finds its server copy again by date: flags swapped between the copies on the server reach the Maildir', async () => {
    const raw = makeMessage({ subject: 'sent twice', size: 2_000 });
    await appendMessages(server, 'alice', 'INBOX', [
      { raw, flags: ['\\Seen'], internalDate: EARLIER },
      { raw, flags: ['\\Seen', '\\Flagged'], internalDate: LATER },
    ]);
    const first = await runSync(server, 'alice', dirs);
    expect(first.code, describeRun(first)).toBe(0);
    expect(localCopies()).toEqual([
      [EARLIER.getTime(), 'S'],
      [LATER.getTime(), 'FS'],
    ]);

    renumberInbox();
    const client = await imapClient(server, 'alice');
    try {
      const lock = await client.getMailboxLock('INBOX');
      try {
        const byDate = new Map<number, number>();
        for await (const message of client.fetch('1:*', { uid: true, internalDate: true })) byDate.set(new Date(message.internalDate!).getTime(), message.uid);
        await client.messageFlagsAdd(String(byDate.get(EARLIER.getTime())), ['\\Flagged'], { uid: true });
        await client.messageFlagsRemove(String(byDate.get(LATER.getTime())), ['\\Flagged'], { uid: true });
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }

    const rerun = await runSync(server, 'alice', dirs);
    expect(rerun.code, describeRun(rerun)).toBe(0);
    expect(rerun.stderr).toMatch(/UIDVALIDITY changed/);
    expect(rerun.summary).toMatchObject({ copied: 0, deleted: 0, complete: true });
    expect(localCopies()).toEqual([
      [EARLIER.getTime(), 'FS'],
      [LATER.getTime(), 'S'],
    ]);
  });
});
