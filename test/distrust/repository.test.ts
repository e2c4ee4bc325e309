// The IMAP repository against a server that renumbers, lists short or lies
// (the scripted server): ids are never used under another UIDVALIDITY, a
// listing that does not account for the folder is refused, and a message
// whose body does not come is an error, never taken as gone.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IncompleteListingError, MessagesUnavailableError, NoUidValidityError, UidValidityChangedError } from '../../src/api/errors.js';
import { folderRef } from '../../src/api/folder-ref.js';
import type { ImapRepository } from '../../src/api/repositories/imap.js';
import { retrying } from '../../src/api/engines/retrying.js';
import { claimSize, duplicateUid, garbageRow, nilBody, omitRows, uidAbove32Bits, withoutUidValidity } from '../support/scripted-imap/misbehaviours.js';
import { startScriptedImap, type ScriptedImapServer } from '../support/scripted-imap/index.js';
import { repositoryOnScripted } from '../scripted-imap/helpers.js';

const message = (n: number): string => `Subject: m${n}\r\nMessage-ID: <m${n}@distrust.test>\r\n\r\nbody ${n}\r\n`;

let server: ScriptedImapServer;
let repo: ImapRepository;

beforeEach(async () => {
  server = await startScriptedImap({ folders: [{ name: 'INBOX', messages: [1, 2, 3].map((n) => ({ body: message(n), flags: n === 1 ? ['\\Flagged'] : [] })) }] });
  repo = repositoryOnScripted(server);
});

afterEach(async () => {
  await repo?.close();
  await server.stop();
});

/** INBOX as the server holds it: subject and flags by UID. */
function inbox(): Record<number, string> {
  return Object.fromEntries(server.account.snapshot().INBOX!.map((m) => [m.uid, `${/Subject: (\w+)/.exec(m.body.toString())![1]} ${m.flags.join(' ')}`.trim()]));
}

describe('UIDs bound to their UIDVALIDITY', () => {
  it('a request after a reconnect that finds the folder renumbered is refused, retries included, and changes nothing', async () => {
    const before = folderRef('INBOX', await repo.scan('INBOX'));
    // The server renumbers INBOX (reversed: UID 1 now names m3) and drops the session at its next command.
    server.account.renumber('INBOX');
    const renumbered = inbox();
    expect(renumbered[1]).toBe('m3');

    const requests: [string, () => Promise<unknown>][] = [
      ['delete', () => repo.delete(before, ['1'])],
      ['setFlags', () => repo.setFlags(before, [{ id: '1', add: ['\\Seen'], remove: ['\\Flagged'] }])],
      ['fetch', () => repo.fetch(before, ['1'])],
      ['identify', () => repo.identify(before, ['1'])],
      ['move', () => repo.move(before, 'INBOX', ['1'])],
    ];
    for (const [operation, request] of requests) {
      await expect(retrying(request, 4, 10), operation).rejects.toBeInstanceOf(UidValidityChangedError);
    }
    expect(inbox()).toEqual(renumbered);
    // Only the first request's UID STORE reached the server: the renumbering answered it with BYE (the drop).
    expect(server.commands('UID STORE')).toHaveLength(1);
    expect(server.commands('UID EXPUNGE')).toEqual([]);
    // Under the new UIDVALIDITY the same requests work.
    const now = folderRef('INBOX', await repo.scan('INBOX'));
    await repo.setFlags(now, [{ id: '1', add: ['\\Seen'], remove: [] }]);
    expect(inbox()[1]).toBe('m3 \\Seen');
  });
});

describe('a listing must account for the folder', () => {
  it('a short listing (EXISTS 3, two rows) is fetched again, then fails the scan naming the folder and the counts', async () => {
    server.script.on('UID FETCH', omitRows((_row, i) => i === 1));
    const error = await repo.scan('INBOX').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncompleteListingError);
    expect((error as Error).message).toMatch(/"INBOX".*2 of the 3 messages/);
    expect(server.commands('UID FETCH').length).toBe(3);
  });

  it('a row whose UID cannot be read is skipped with the reason (the engine then infers no absence); the others are listed', async () => {
    server.script.on('UID FETCH', garbageRow(1));
    const scan = await repo.scan('INBOX');
    expect(scan.messages.map((m) => m.id)).toEqual(['1', '3']);
    expect(scan.skipped).toEqual([{ reason: 'message 2 of the folder came with no usable UID' }]);
  });

  it('a listing short once (the server healed) is taken from the next FETCH', async () => {
    server.script.on('UID FETCH', omitRows((_row, i) => i === 0), { times: 1 });
    const scan = await repo.scan('INBOX');
    expect(scan.messages.map((m) => m.id)).toEqual(['1', '2', '3']);
    expect(scan.skipped).toBeUndefined();
  });

  it('a message arriving during the listing (EXISTS moves) is a re-check, not a failure', async () => {
    server.script.on(
      'UID FETCH',
      async (ctx, next) => {
        await next();
        ctx.account.addMessage('INBOX', { body: message(4) });
      },
      { times: 1 },
    );
    const scan = await repo.scan('INBOX');
    expect(scan.messages.map((m) => m.id)).toEqual(['1', '2', '3', '4']);
  });

  it('a UID given to two messages is skipped by UID with the reason; the others are listed', async () => {
    server.script.on('UID FETCH', duplicateUid(1));
    const scan = await repo.scan('INBOX');
    expect(scan.messages.map((m) => m.id)).toEqual(['3']);
    expect(scan.skipped).toEqual([{ id: '1', reason: expect.stringMatching(/UID 1 to 2 messages/) }]);
  });

  it('a UID of 2^32 is skipped with the reason; the others are listed', async () => {
    server.script.on('UID FETCH', uidAbove32Bits(0));
    const scan = await repo.scan('INBOX');
    expect(scan.messages.map((m) => m.id)).toEqual(['2', '3']);
    expect(scan.skipped).toEqual([{ id: String(2 ** 32), reason: expect.stringMatching(/outside 1\.\.4294967295/) }]);
  });

  it('a SELECT without UIDVALIDITY fails the scan with a clear reason', async () => {
    server.script.on('SELECT', withoutUidValidity());
    const error = await repo.scan('INBOX').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoUidValidityError);
    expect((error as Error).message).toMatch(/"INBOX".*no UIDVALIDITY/);
  });
});

describe('a body that does not come is an error for that message, never "expunged"', () => {
  it('a NIL body: MessagesUnavailableError names the UID; the others are fetched once it is left out', async () => {
    const folder = folderRef('INBOX', await repo.scan('INBOX'));
    server.script.on('UID FETCH', nilBody((row) => row.seq === 2));
    const error = await repo.fetch(folder, ['1', '2', '3']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MessagesUnavailableError);
    expect((error as MessagesUnavailableError).failures).toEqual([{ id: '2', reason: expect.stringMatching(/NIL/) }]);
    expect((await repo.fetch(folder, ['1', '3'])).map((m) => m.id)).toEqual(['1', '3']);
  });

  it('a row left out for a message still there is an error; a message really gone is left out', async () => {
    const folder = folderRef('INBOX', await repo.scan('INBOX'));
    server.account.expunge('INBOX', [3]);
    server.script.on('UID FETCH', omitRows((row) => row.seq === 1));
    const error = await repo.fetch(folder, ['1', '2', '3']).catch((e: unknown) => e);
    expect((error as MessagesUnavailableError).failures).toEqual([{ id: '1', reason: expect.stringMatching(/no body/) }]);
    server.script.clear();
    expect((await repo.fetch(folder, ['1', '2', '3'])).map((m) => m.id)).toEqual(['1', '2']);
  });

  it('a body shorter than its RFC822.SIZE is an error for that message', async () => {
    const folder = folderRef('INBOX', await repo.scan('INBOX'));
    server.script.on('UID FETCH', claimSize((real) => real + 100));
    const error = await repo.fetch(folder, ['2']).catch((e: unknown) => e);
    expect((error as MessagesUnavailableError).failures).toEqual([{ id: '2', reason: expect.stringMatching(/of its \d+ bytes/) }]);
  });
});
