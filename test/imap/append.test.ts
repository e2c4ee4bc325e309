import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartialStoreError } from '../../src/api/errors.js';
import type { ImapRepository } from '../../src/api/repositories/imap.js';
import type { NewMessage } from '../../src/api/types.js';
import { locateStored, folderBefore } from '../../src/core/imap/append.js';
import { toCrlf } from '../../src/core/crlf.js';
import { identityFromBody } from '../../src/core/identity.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { imapClient, makeMessage } from '../support/messages.js';
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
    const commands = await server.commandsSeen();
    expect(commands.some((c) => /SEARCH/i.test(c))).toBe(false);
    // Dovecot offers MULTIAPPEND: the batch goes in one command.
    expect(commands.filter((c) => /^APPEND "?Target/i.test(c))).toHaveLength(1);
  });

  it('confirms a batch stored into the selected folder without selecting it again', async () => {
    await repo.createFolder('Again');
    await repo.store('Again', batch());
    const before = (await server.commandsSeen()).length;
    const sent = batch();
    const ids = await repo.store('Again', sent);
    const second = (await server.commandsSeen()).slice(before);
    await expectIdsPointAtTheirMessages(repo, 'Again', sent, ids);
    const append = second.findIndex((c) => /^APPEND "?Again/i.test(c));
    expect(append).toBeGreaterThanOrEqual(0);
    expect(second.slice(append).filter((c) => /^(SELECT|EXAMINE)\b/i.test(c)), second.join('\n')).toEqual([]);
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

  it('deletes only its own messages while others are marked \\Deleted: they are undeleted around the plain EXPUNGE and marked again', async () => {
    await repo.createFolder('Expunge');
    const [keep, drop, alsoKept] = await repo.store('Expunge', [
      { body: makeMessage({ subject: 'marked elsewhere' }), flags: ['\\Deleted'], internalDate: T0 },
      { body: makeMessage({ subject: 'to delete' }), flags: [], internalDate: T0 },
      { body: makeMessage({ subject: 'marked elsewhere too' }), flags: ['\\Seen', '\\Deleted'], internalDate: T0 },
    ]);
    await repo.delete(await folderAt(repo, 'Expunge'), [drop!]);
    const after = (await repo.scan('Expunge')).messages;
    expect(after.map((m) => [m.id, [...m.flags].sort()])).toEqual([
      [keep, ['\\Deleted']],
      [alsoKept, ['\\Deleted', '\\Seen']],
    ]);
    const commands = await server.commandsSeen();
    expect(commands.some((c) => /^UID EXPUNGE/i.test(c))).toBe(false);
    expect(commands.some((c) => /^EXPUNGE/i.test(c))).toBe(true);
  });
});

/** Lines the clients sent (rawlog .in files, literal bodies included) that end in a bare LF. */
async function bareLfLinesSent(server: DovecotServer): Promise<string[]> {
  const dir = path.join(server.dir, 'rawlog');
  const lines: string[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.in'))) {
    const raw = (await readFile(path.join(dir, file))).toString('latin1');
    // Dovecot ends each logged line where the client's line ended: at its LF.
    lines.push(...raw.split(/(?<=\n)/).filter((line) => line.endsWith('\n') && !line.endsWith('\r\n')));
  }
  return lines;
}

describe('line ends', () => {
  it('makes every bare LF a CRLF, leaves CRLF and lone CR alone, and keeps a CRLF message as it is', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '\n', '\r', '\r\n', '\u00e9'), maxLength: 60 }), (text) => {
        const body = Buffer.from(text, 'latin1');
        const out = Buffer.from(toCrlf(body)).toString('latin1');
        expect(out).toBe(text.replace(/\r?\n/g, (eol) => (eol === '\n' ? '\r\n' : eol)));
      }),
    );
    const crlf = makeMessage();
    expect(toCrlf(crlf)).toBe(crlf);
  });
});

describe('store: what the server is sent and what it answers', () => {
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

  it('sends a bare-LF message with CRLF line ends, and finds it again by identity', async () => {
    await repo.createFolder('LF');
    const body = makeMessage({ subject: 'written by mutt', lineEnd: '\n', body: 'line one\nline two\n' });
    const ids = await repo.store('LF', [{ body, flags: [], internalDate: T0 }]);
    expect(await bareLfLinesSent(server)).toEqual([]);
    const [stored] = await repo.fetch(await folderAt(repo, 'LF'), ids);
    expect(Buffer.from(stored!.body).toString('latin1')).toBe(body.toString('latin1').replace(/\n/g, '\r\n'));
    expect((await repo.identify(await folderAt(repo, 'LF'), ids))[0]!.identity).toBe(identityFromBody(body).identity);
  });

  it('stores the rest of a batch when the server refuses one message, and names the one refused', async () => {
    await repo.createFolder('Refusals');
    const sent = batch();
    // Dovecot refuses to save a zero-byte message (NO).
    const withRefused = [sent[0]!, { body: Buffer.alloc(0), flags: [], internalDate: T0 }, sent[1]!, sent[2]!];
    const error = await repo.store('Refusals', withRefused).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(PartialStoreError);
    const partial = error as PartialStoreError;
    expect(partial.failures).toEqual([{ index: 1, reason: expect.stringMatching(/append in "Refusals".*zero byte/i) }]);
    expect(partial.stored[1]).toBeNull();
    const ids = partial.stored.filter((id): id is string => id !== null);
    await expectIdsPointAtTheirMessages(repo, 'Refusals', [sent[0]!, sent[1]!, sent[2]!], ids);
    expect((await repo.scan('Refusals')).messages).toHaveLength(3);
  });

  it('believes an APPENDUID only when it is plausible and the message there has the identity sent', async () => {
    await repo.createFolder('Claims');
    const [old] = await repo.store('Claims', [{ body: makeMessage({ subject: 'already there' }), flags: [], internalDate: T0 }]);
    const client = await imapClient(server, 'alice');
    try {
      const before = await folderBefore(client, 'Claims', 'Claims');
      const sent = [makeMessage({ subject: 'a' }), makeMessage({ subject: 'b', messageId: null }), makeMessage({ subject: 'c' }), makeMessage({ subject: 'd' }), makeMessage({ subject: 'e' })];
      const uids: number[] = [];
      for (const body of sent) uids.push(((await client.append('Claims', body)) as { uid: number }).uid);
      const identity = (i: number) => identityFromBody(sent[i]!).identity;
      const located = await locateStored(client, 'Claims', before, [
        { identity: identity(0), claim: { uid: uids[0]!, uidValidity: before.uidValidity } }, // right, but claimed twice (see the last)
        { identity: identity(1), claim: { uid: Number(old), uidValidity: before.uidValidity } }, // below UIDNEXT: another message
        { identity: identity(2), claim: { uid: uids[2]!, uidValidity: before.uidValidity + 1n } }, // another UIDVALIDITY
        { identity: identity(3), claim: { uid: uids[4]!, uidValidity: before.uidValidity } }, // e's UID
        { identity: identity(4), claim: { uid: uids[3]!, uidValidity: before.uidValidity } }, // d's UID
        { identity: identityFromBody(makeMessage({ subject: 'never sent' })).identity, claim: { uid: uids[0]!, uidValidity: before.uidValidity } }, // OK but nothing landed
      ]);
      expect(located).toEqual({ uids: [uids[0], uids[1], uids[2], uids[3], uids[4], undefined], strangers: [] });
    } finally {
      await client.logout();
    }
  });
});
