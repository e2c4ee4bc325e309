// APPEND against a server that lies, drops, refuses or rewrites (the scripted
// server): every id store returns names the message sent, a message not
// stored fails alone, and nothing is taken on the server's word.
import { afterEach, describe, expect, it } from 'vitest';
import { PartialStoreError } from '../../src/api/errors.js';
import type { ImapRepository } from '../../src/api/repositories/imap.js';
import type { NewMessage } from '../../src/api/types.js';
import { identityFromBody } from '../../src/core/identity.js';
import { startScriptedImap, withoutCapabilities, type ScriptedImapServer } from '../support/scripted-imap/index.js';
import { addFinalCrlf, appendNotStored, refuse, refuseBareNewlines, rewrite8bitHeaders, storeDifferently, wrongAppendUid } from '../support/scripted-imap/misbehaviours.js';
import { lfMessage, repositoryOnScripted } from '../scripted-imap/helpers.js';
import { folderAt } from '../support/folder-at.js';

const T0 = Date.UTC(2024, 0, 15, 10, 30, 0);

/** Four messages: LF line ends, no final line break, a raw 8-bit Subject; one without Message-ID, and twins. */
function batch(tag: string): NewMessage[] {
  const twin = lfMessage(`twin ${tag}`, `twin.${tag}@x`, 'same');
  return [
    { body: lfMessage(`Gr\xfc\xdfe ${tag}`, `a.${tag}@x`, 'no final line break'), flags: ['\\Seen'], internalDate: T0 },
    { body: twin, flags: [], internalDate: T0 + 1000 },
    { body: lfMessage(`caf\xe9 without id ${tag}`, null, 'line\nanother line'), flags: ['\\Flagged'], internalDate: T0 + 2000 },
    { body: twin, flags: ['\\Answered'], internalDate: T0 + 3000 },
  ];
}

let server: ScriptedImapServer;
let repo: ImapRepository;

async function start(capabilities?: string[]): Promise<void> {
  server = await startScriptedImap(capabilities ? { capabilities } : {});
  repo = repositoryOnScripted(server);
}

afterEach(async () => {
  await repo?.close();
  await server?.stop();
});

/** Each id names, on the server, a message with the identity of the one sent in its place; no id twice. */
function expectIdsNameTheirMessages(sent: NewMessage[], ids: (string | null)[]): void {
  const stored = new Map(server.account.get('INBOX').messages.map((m) => [String(m.uid), m.body]));
  const given = ids.filter((id): id is string => id !== null);
  expect(new Set(given).size).toBe(given.length);
  ids.forEach((id, i) => {
    if (id === null) return;
    expect(stored.has(id), `id ${id}`).toBe(true);
    expect(identityFromBody(stored.get(id)!).identity).toBe(identityFromBody(sent[i]!.body).identity);
  });
}

describe('store on a server that does not store what it says', () => {
  it.each(['repeat', 'below', 'other-validity'] as const)('finds the true UIDs when every APPENDUID is wrong (%s)', async (kind) => {
    await start();
    // Two messages already there: a wrong UID "below" names one of them.
    await repo.store('INBOX', batch('before'));
    server.script.on('APPEND', wrongAppendUid(kind));
    const sent = batch('now');
    const ids = await repo.store('INBOX', sent);
    expectIdsNameTheirMessages(sent, ids);
    expect(ids.map(Number).every((uid) => uid > 4)).toBe(true);
  });

  it('selects the folder again when the messages appended to it are not yet in the session', async () => {
    await start();
    await repo.store('INBOX', batch('before'));
    // The next UID FETCH after the APPEND answers as a server that has not shown its session the new messages.
    server.script.on('APPEND', async (ctx, next) => {
      await next();
      server.script.on('UID FETCH', async () => undefined, { nth: 1 });
    }, { nth: 2 });
    const sent = batch('unseen');
    const ids = await repo.store('INBOX', sent);
    expectIdsNameTheirMessages(sent, ids);
    const names = server.commands().map((c) => c.name);
    const append = names.lastIndexOf('APPEND');
    expect(names.slice(append)).toContain('SELECT');
  });

  it('reports a message answered OK but never stored as not stored, by its place; the others get their ids', async () => {
    await start();
    server.script.on('APPEND', appendNotStored(), { nth: 2 });
    const sent = batch('lost');
    const error = (await repo.store('INBOX', sent).catch((e: unknown) => e)) as PartialStoreError;
    expect(error).toBeInstanceOf(PartialStoreError);
    expect(error.failures).toEqual([{ index: 1, reason: expect.stringMatching(/answered OK but the message is not in "INBOX"/) }]);
    expect(error.stored[1]).toBeNull();
    expectIdsNameTheirMessages(sent, error.stored);
    expect(server.account.get('INBOX').messages).toHaveLength(3);
  });

  it('stores the rest of the batch when one message is refused (NO), and names the refusal', async () => {
    await start();
    server.script.on('APPEND', refuse('[LIMIT] Message too large for this mailbox'), { nth: 3 });
    const sent = batch('no');
    const error = (await repo.store('INBOX', sent).catch((e: unknown) => e)) as PartialStoreError;
    expect(error.failures).toEqual([{ index: 2, reason: expect.stringMatching(/Message too large/) }]);
    expectIdsNameTheirMessages(sent, error.stored);
    expect(server.account.get('INBOX').messages).toHaveLength(3);
  });

  it('sends CRLF to a server that refuses bare newlines', async () => {
    await start();
    server.script.on('APPEND', refuseBareNewlines());
    const sent = batch('lf');
    const ids = await repo.store('INBOX', sent);
    expectIdsNameTheirMessages(sent, ids);
    for (const { body } of server.account.get('INBOX').messages) expect(body.toString('latin1')).not.toMatch(/(^|[^\r])\n/);
  });

  it.each([
    ['with UIDPLUS', undefined],
    ['without UIDPLUS', withoutCapabilities('UIDPLUS')],
  ])('finds messages a server stores differently (a final CRLF added, 8-bit header bytes made ?), %s', async (_, capabilities) => {
    await start(capabilities);
    server.script.on('APPEND', storeDifferently((body) => rewrite8bitHeaders(addFinalCrlf(body))));
    const sent = batch('normalised');
    const ids = await repo.store('INBOX', sent);
    expectIdsNameTheirMessages(sent, ids);
    expect(server.account.get('INBOX').messages.map((m) => m.body.subarray(-2).toString())).toEqual(['\r\n', '\r\n', '\r\n', '\r\n']);
    // What the repository identifies there is what was sent.
    expect((await repo.identify(await folderAt(repo, 'INBOX'), ids)).map((m) => m.identity)).toEqual(sent.map((m) => identityFromBody(m.body).identity));
  });

  it('without UIDPLUS, takes a message someone else delivered meanwhile only when it is the same mail', async () => {
    await start(withoutCapabilities('UIDPLUS'));
    const sent = batch('concurrent');
    // Another client delivers a different message, then a twin of the first, right before our first APPEND lands.
    server.script.on(
      'APPEND',
      async (ctx, next) => {
        ctx.account.addMessage('INBOX', { body: Buffer.from('Subject: other\r\nMessage-ID: <other@x>\r\n\r\nhi\r\n'), flags: [], internalDate: new Date(T0) });
        ctx.account.addMessage('INBOX', { body: Buffer.from(sent[0]!.body), flags: [], internalDate: new Date(T0) });
        await next();
      },
      { nth: 1 },
    );
    const ids = await repo.store('INBOX', sent);
    expectIdsNameTheirMessages(sent, ids);
  });
});
