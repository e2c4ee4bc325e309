// A Maildir offlineimap kept (its default layout, sep = .), changed on both
// sides since offlineimap last ran, then synced by imapfw for the first time
// with --offlineimap-state: offlineimap's record (LocalStatus-sqlite, the
// server's UIDVALIDITY in Repository-*/FolderValidity) is the base of that
// first sync, so deletions and cleared flags propagate instead of the
// message coming back and the flags merging as a union. A record made under
// another UIDVALIDITY is not used.
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages, imapClient, makeMessage } from '../support/messages.js';
import { describeRun, runOfflineimap, runSync, serverView, syncDirs, type SyncDirs } from './support.js';

let server: DovecotServer;
let dirs: SyncDirs;
let mail: string;
let metadata: string;

const id = (folder: string, i: number) => `<${folder.replace('/', '-')}-${i}@offlineimap.test>`;

beforeAll(async () => {
  server = await startDovecot({ users: { laptop: 'laptop-pw' } });
  dirs = syncDirs();
  mail = join(dirs.root, 'Mail');
  metadata = join(dirs.root, 'offlineimap');
  for (const [folder, count] of Object.entries({ INBOX: 5, 'Lists/dev': 3 })) {
    const flags = (i: number) => (i < 2 ? ['\\Seen', ...(i === 1 ? ['\\Flagged'] : [])] : []);
    await appendMessages(server, 'laptop', folder, Array.from({ length: count }, (_, i) => ({ raw: makeMessage({ messageId: id(folder, i), subject: `${folder} ${i}` }), flags: flags(i) })));
  }
  runOfflineimap(server, 'laptop', dirs.root, mail, metadata);
});

afterAll(async () => {
  await server?.stop();
  dirs?.remove();
});

const sync = (args: string[]) => runSync(server, 'laptop', { ...dirs, maildir: mail }, { args: ['--layout', 'flat', ...args] });

/** The local folder's files, by Message-ID. */
function files(dir: string): Map<string, { path: string; name: string }> {
  const found = new Map<string, { path: string; name: string }>();
  for (const sub of ['cur', 'new']) {
    for (const name of readdirSync(join(mail, dir, sub))) {
      const path = join(mail, dir, sub, name);
      const messageId = /^message-id:\s*(\S+)/im.exec(readFileSync(path, 'latin1'))?.[1];
      if (messageId) found.set(messageId, { path, name });
    }
  }
  return found;
}

const localView = (dir: string) =>
  [...files(dir)].map(([messageId, { name }]) => {
    const letters = name.slice(name.indexOf(':2,') + 3);
    return `${messageId}${letters.includes('F') ? ' \\Flagged' : ''}${letters.includes('S') ? ' \\Seen' : ''}`;
  }).sort();

describe("imapfw's first sync of a Maildir offlineimap kept", () => {
  it("starts from offlineimap's record: deletions and cleared flags since it ran propagate; a record of another UIDVALIDITY is not used", async () => {
    expect(readdirSync(join(metadata, 'Account-laptop', 'LocalStatus-sqlite')).sort()).toEqual(['INBOX', 'Lists.dev']);
    const missing = await sync(['--offlineimap-state', join(dirs.root, 'nowhere')]);
    expect(missing.code, describeRun(missing)).toBe(2);
    expect(missing.stderr).toMatch(/offlineimap state: .*\/nowhere is not a directory/);
    const both = await sync(['--offlineimap-state', metadata, '--mbsync-state', metadata]);
    expect(both.code, describeRun(both)).toBe(2);
    expect(both.stderr).toMatch(/--mbsync-state and --offlineimap-state do not go together/);

    // Since offlineimap last ran: on the server, INBOX-2 expunged and INBOX-1 unflagged; on the laptop, INBOX-3 deleted
    // and INBOX-0 marked unread. Lists/dev: its record names another UIDVALIDITY, and Lists/dev-2 was deleted locally.
    const client = await imapClient(server, 'laptop');
    try {
      await client.mailboxOpen('INBOX');
      await client.messageDelete('3', { uid: true });
      await client.messageFlagsRemove('2', ['\\Flagged'], { uid: true });
    } finally {
      await client.logout();
    }
    const inbox = files('INBOX');
    rmSync(inbox.get(id('INBOX', 3))!.path);
    const read = inbox.get(id('INBOX', 0))!;
    renameSync(read.path, join(mail, 'INBOX', 'cur', `${read.name.slice(0, read.name.indexOf(':2,'))}:2,`));
    writeFileSync(join(metadata, 'Repository-remote', 'FolderValidity', 'Lists.dev'), '1\n');
    rmSync(files('Lists.dev').get(id('Lists/dev', 2))!.path);

    const run = await sync(['--offlineimap-state', metadata]);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stderr).toMatch(/offlineimap's record of this folder is not used: the server folder's UIDVALIDITY is \d+ now, and its repositories recorded 42, 1;/);
    expect(run.summary).toMatchObject({ copied: 1, deleted: 2, flagsChanged: 2, errors: [], complete: true });
    const view = await serverView(server, 'laptop');
    expect(view.INBOX).toEqual([id('INBOX', 0), `${id('INBOX', 1)} \\Seen`, id('INBOX', 4)]);
    expect(localView('INBOX')).toEqual(view.INBOX);
    expect(view['Lists/dev']).toHaveLength(3);
    expect(localView('Lists.dev')).toEqual(view['Lists/dev']);

    const again = await sync(['--offlineimap-state', metadata]);
    expect(again.summary).toMatchObject({ copied: 0, deleted: 0, flagsChanged: 0, paired: 0, complete: true });
  });
});
