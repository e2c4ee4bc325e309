import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapRepository } from '../../src/api/repositories/imap.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { makeMessage } from '../support/messages.js';
import { repositoryOn } from './helpers.js';
import { folderAt } from '../support/folder-at.js';

for (const separator of ['/', '.'] as const) {
  describe(`folder names on a server with separator "${separator}"`, () => {
    let server: DovecotServer;
    let repo: ImapRepository;
    beforeAll(async () => {
      server = await startDovecot({ separator });
      repo = repositoryOn(server);
    });
    afterAll(async () => {
      await repo?.close();
      await server?.stop();
    });

    it('round-trips "Été/Août": UTF-8 and "/" here, modified UTF-7 and the server delimiter on the wire', async () => {
      await repo.createFolder('Été/Août');
      const folders = await repo.listFolders();
      expect(folders.map((f) => f.name)).toEqual(expect.arrayContaining(['INBOX', 'Été', 'Été/Août']));
      const body = makeMessage({ subject: 'été' });
      const [id] = await repo.store('Été/Août', [{ body, flags: [], internalDate: 0 }]);
      expect((await repo.scan('Été/Août')).messages.map((m) => m.id)).toEqual([id]);
      expect(Buffer.from((await repo.fetch(await folderAt(repo, 'Été/Août'), [id!]))[0]!.body).equals(body)).toBe(true);

      // What the server stored: mUTF-7 names ("&AMk-t&AOk-" is "Été"), nested with its own layout.
      const root = server.maildirOf('alice');
      if (separator === '/') expect(await readdir(`${root}/&AMk-t&AOk-`)).toContain('Ao&APs-t');
      else expect(await readdir(root)).toContain('.&AMk-t&AOk-.Ao&APs-t');

      await repo.deleteFolder('Été/Août');
      expect((await repo.listFolders()).map((f) => f.name)).not.toContain('Été/Août');
    });

    it('reports \\Noselect parents', async () => {
      await repo.createFolder('Parent/Child');
      const parent = (await repo.listFolders()).find((f) => f.name === 'Parent');
      expect(parent).toEqual({ name: 'Parent', noSelect: true });
    });
  });
}

/** offlineimap-style hooks: the server's INBOX is "inbox" here, "Archive/x" is "old/x", Trash is not synced. */
class TranslatingRepository extends ImapRepository {
  override folderFilter(name: string): boolean {
    return name !== 'Trash';
  }
  override nameTrans(name: string): string {
    if (name === 'INBOX') return 'inbox';
    return name.replace(/^Archive(?=\/|$)/, 'old');
  }
  override nameTransBack(name: string): string {
    if (name === 'inbox') return 'INBOX';
    return name.replace(/^old(?=\/|$)/, 'Archive');
  }
}

describe('folderFilter / nameTrans / nameTransBack', () => {
  let server: DovecotServer;
  beforeAll(async () => {
    server = await startDovecot();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('lists translated names and translates every folder argument back', async () => {
    const repo = new TranslatingRepository({ url: server.url('alice'), password: { value: server.users.alice! } });
    await repo.createFolder('old/2024');
    await repo.createFolder('Trash');
    expect((await repo.listFolders()).map((f) => f.name).sort()).toEqual(['inbox', 'old', 'old/2024']);
    const [id] = await repo.store('old/2024', [{ body: makeMessage({ subject: 'archived' }), flags: [], internalDate: 0 }]);
    const moved = await repo.move(await folderAt(repo, 'old/2024'), 'inbox', [id!]);
    expect((await repo.scan('inbox')).messages.map((m) => m.id)).toEqual(moved);
    await repo.close();

    const plain = repositoryOn(server);
    expect((await plain.listFolders()).map((f) => f.name).sort()).toEqual(['Archive', 'Archive/2024', 'INBOX', 'Trash']);
    await plain.close();
  });
});
