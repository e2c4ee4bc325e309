import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapRepository } from '../../src/api/repositories/imap.js';
import type { NewMessage } from '../../src/api/types.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { makeMessage } from '../support/messages.js';
import { capabilitiesWithout, repositoryOn } from './helpers.js';
import { folderAt } from '../support/folder-at.js';

const T0 = Date.UTC(2024, 0, 15, 10, 30, 0);

/** Twins, a message without Message-ID and one with: each id must point at its own message. */
function batch(): NewMessage[] {
  const twin = makeMessage({ subject: 'twin', messageId: '<twin@append.test>' });
  return [
    { body: makeMessage({ subject: 'first' }), flags: ['\\Seen'], internalDate: T0 },
    { body: twin, flags: [], internalDate: T0 + 1000 },
    { body: makeMessage({ subject: 'no id', messageId: null }), flags: ['\\Flagged'], internalDate: T0 + 2000 },
    { body: twin, flags: ['\\Answered'], internalDate: T0 + 3000 },
  ];
}

async function expectIdsPointAtTheirMessages(repo: ImapRepository, folder: string, sent: NewMessage[], ids: string[]): Promise<void> {
  expect(new Set(ids).size).toBe(sent.length);
  const fetched = await repo.fetch(await folderAt(repo, folder), ids);
  expect(fetched.map((m) => m.id)).toEqual(ids);
  fetched.forEach((got, i) => {
    expect(Buffer.from(got.body).equals(Buffer.from(sent[i]!.body))).toBe(true);
    expect(got.flags).toEqual(sent[i]!.flags);
    expect(got.internalDate).toBe(sent[i]!.internalDate);
  });
}

describe('store with UIDPLUS', () => {
  let server: DovecotServer;
  let repo: ImapRepository;
  beforeAll(async () => {
    server = await startDovecot({ rawlog: true });
    repo = repositoryOn(server);
  });
  afterAll(async () => {
    await repo?.close();
    await server?.stop();
  });

  it('takes each UID from APPENDUID, in order, and runs no search', async () => {
    await repo.createFolder('Target');
    const sent = batch();
    const ids = await repo.store('Target', sent);
    await expectIdsPointAtTheirMessages(repo, 'Target', sent, ids);
    expect((await server.commandsSeen()).some((c) => /SEARCH/i.test(c))).toBe(false);
  });

  it('moves with UID MOVE and returns the new ids from COPYUID', async () => {
    await repo.createFolder('Moved');
    const sent = batch();
    const ids = await repo.store('Target', sent);
    const moved = await repo.move(await folderAt(repo, 'Target'), 'Moved', [ids[2]!, ids[0]!]);
    await expectIdsPointAtTheirMessages(repo, 'Moved', [sent[2]!, sent[0]!], moved);
    const left = (await repo.scan('Target')).messages.map((m) => m.id);
    expect(left).not.toContain(ids[0]);
    expect(left).not.toContain(ids[2]);
    expect((await server.commandsSeen()).some((c) => /^UID MOVE /i.test(c))).toBe(true);
  });
});

describe('store without UIDPLUS (and without MOVE)', () => {
  let server: DovecotServer;
  let repo: ImapRepository;
  beforeAll(async () => {
    server = await startDovecot({ rawlog: true, capabilities: capabilitiesWithout('UIDPLUS', 'MOVE') });
    repo = repositoryOn(server);
  });
  afterAll(async () => {
    await repo?.close();
    await server?.stop();
  });

  it('finds each appended message above the old UIDNEXT by identity, twins in order', async () => {
    await repo.createFolder('Target');
    await repo.store('Target', [{ body: makeMessage({ subject: 'already there', messageId: '<twin@append.test>' }), flags: [], internalDate: T0 }]);
    const sent = batch();
    const ids = await repo.store('Target', sent);
    await expectIdsPointAtTheirMessages(repo, 'Target', sent, ids);
    expect(ids.map(Number)).toEqual([2, 3, 4, 5]);
  });

  it('moves by COPY + delete, finding the new ids by identity', async () => {
    await repo.createFolder('Moved');
    const sent = batch();
    const ids = await repo.store('Target', sent);
    const moved = await repo.move(await folderAt(repo, 'Target'), 'Moved', [ids[3]!, ids[1]!, ids[2]!]);
    await expectIdsPointAtTheirMessages(repo, 'Moved', [sent[3]!, sent[1]!, sent[2]!], moved);
    const commands = await server.commandsSeen();
    expect(commands.some((c) => /^(UID )?MOVE /i.test(c))).toBe(false);
    expect(commands.some((c) => /^UID COPY /i.test(c))).toBe(true);
  });

  it('refuses to delete while other messages are marked \\Deleted (a plain EXPUNGE would take them too)', async () => {
    await repo.createFolder('Expunge');
    const [keep, drop] = await repo.store('Expunge', [
      { body: makeMessage({ subject: 'marked elsewhere' }), flags: ['\\Deleted'], internalDate: T0 },
      { body: makeMessage({ subject: 'to delete' }), flags: [], internalDate: T0 },
    ]);
    await expect(repo.delete(await folderAt(repo, 'Expunge'), [drop!])).rejects.toThrow(/no UIDPLUS.*1 other message\(s\) already marked \\Deleted/);
    expect((await repo.scan('Expunge')).messages.map((m) => m.id)).toEqual([keep, drop]);

    await repo.setFlags(await folderAt(repo, 'Expunge'), [{ id: keep!, add: [], remove: ['\\Deleted'] }]);
    await repo.delete(await folderAt(repo, 'Expunge'), [drop!]);
    expect((await repo.scan('Expunge')).messages.map((m) => m.id)).toEqual([keep]);
    expect((await server.commandsSeen()).some((c) => /^UID EXPUNGE/i.test(c))).toBe(false);
  });
});
