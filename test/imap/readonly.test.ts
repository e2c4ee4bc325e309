import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadOnlyError } from '../../src/api/errors.js';
import type { ImapRepository } from '../../src/api/repositories/imap.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages, makeMessage } from '../support/messages.js';
import { encoder, repositoryOn } from './helpers.js';
import { folderAt } from '../support/folder-at.js';

describe('readOnly', () => {
  let server: DovecotServer;
  let repo: ImapRepository;
  let uids: number[];
  beforeAll(async () => {
    server = await startDovecot({ rawlog: true });
    uids = await appendMessages(server, 'alice', 'Archive', [{ raw: makeMessage({ subject: 'kept' }) }, { raw: makeMessage({ subject: 'no id', messageId: null }) }]);
    repo = repositoryOn(server, { readOnly: true });
  });
  afterAll(async () => {
    await repo?.close();
    await server?.stop();
  });

  it('refuses every write before sending anything, and reaches the server only with EXAMINE and reads', async () => {
    const ids = uids.map(String);
    const commandsBefore = (await server.commandsSeen()).length;
    // Refused before any request: the folder's uidValidity is never asked for.
    const archive = { name: 'Archive', uidValidity: '1' };
    const writes: [string, () => Promise<unknown>][] = [
      ['createFolder', () => repo.createFolder('New')],
      ['deleteFolder', () => repo.deleteFolder('Archive')],
      ['store', () => repo.store('Archive', [{ body: encoder.encode('Subject: x\r\n\r\nx\r\n'), flags: [], internalDate: 0 }])],
      ['setFlags', () => repo.setFlags(archive, [{ id: ids[0]!, add: ['\\Seen'], remove: [] }])],
      ['delete', () => repo.delete(archive, ids)],
      ['move', () => repo.move(archive, 'INBOX', ids)],
    ];
    for (const [operation, write] of writes) {
      await expect(write(), operation).rejects.toBeInstanceOf(ReadOnlyError);
    }
    // Nothing was sent: not even a login.
    expect((await server.commandsSeen()).length).toBe(commandsBefore);

    expect((await repo.listFolders()).map((f) => f.name)).toContain('Archive');
    const scan = await repo.scan('Archive');
    expect(scan.messages.map((m) => m.id)).toEqual(ids);
    expect(await repo.identify(await folderAt(repo, 'Archive'), ids)).toHaveLength(2);
    const fetched = await repo.fetch(await folderAt(repo, 'Archive'), ids);
    expect(fetched).toHaveLength(2);
    expect((await repo.scan('Archive', scan.checkpoint)).kind).toBe('unchanged');
    // BODY.PEEK: fetching set no \Seen.
    expect((await repo.scan('Archive')).messages.every((m) => !m.flags.includes('\\Seen'))).toBe(true);
    await repo.close();

    const sent = (await server.commandsSeen()).slice(commandsBefore).map((c) => c.split(' ').slice(0, c.startsWith('UID ') ? 2 : 1).join(' ').toUpperCase());
    const allowed = new Set(['CAPABILITY', 'ID', 'NAMESPACE', 'ENABLE', 'LIST', 'LSUB', 'EXAMINE', 'FETCH', 'UID FETCH', 'UID SEARCH', 'STATUS', 'NOOP', 'LOGOUT']);
    expect(sent.filter((command) => !allowed.has(command))).toEqual([]);
    expect(sent).toContain('EXAMINE');
  });
});
