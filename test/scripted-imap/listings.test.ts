// The scripted server's broken listings happen exactly as scripted, and
// what imapflow makes of each (what the product code has to cope with).
import type { ImapFlow } from 'imapflow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  claimExists,
  claimSize,
  duplicateUid,
  garbageRow,
  nilBody,
  omitRows,
  uidAbove32Bits,
  unsolicitedFlags,
  withoutUidNext,
  withoutUidValidity,
} from '../support/scripted-imap/misbehaviours.js';
import { startScriptedImap, type ScriptedImapServer } from '../support/scripted-imap/index.js';
import { imapflowOn } from './helpers.js';

const message = (n: number): string => `Subject: m${n}\r\nMessage-ID: <m${n}@test>\r\n\r\nbody ${n}\r\n`;
const METADATA = { uid: true, flags: true, size: true, internalDate: true } as const;

let server: ScriptedImapServer;
let client: ImapFlow;

beforeEach(async () => {
  server = await startScriptedImap({ folders: [{ name: 'INBOX', messages: [1, 2, 3].map((n) => ({ body: message(n), flags: ['\\Seen'] })) }] });
});

afterEach(async () => {
  client?.close();
  await server.stop();
});

async function listInbox(query: Parameters<ImapFlow['fetchAll']>[1] = METADATA): Promise<{ exists: number; uids: number[]; rows: Awaited<ReturnType<ImapFlow['fetchAll']>> }> {
  client = await imapflowOn(server);
  const mailbox = await client.mailboxOpen('INBOX');
  const rows = await client.fetchAll('1:*', query, { uid: true });
  return { exists: mailbox.exists, uids: rows.map((r) => r.uid), rows };
}

describe('scripted listing misbehaviours', () => {
  it('a well-behaved listing has every message', async () => {
    const { exists, uids } = await listInbox();
    expect(exists).toBe(3);
    expect(uids).toEqual([1, 2, 3]);
  });

  it('a short listing: EXISTS says 3, two rows come', async () => {
    server.script.on('UID FETCH', omitRows((_row, i) => i === 1));
    const { exists, uids } = await listInbox();
    expect(exists).toBe(3);
    expect(uids).toEqual([1, 3]);
  });

  it('EXISTS claims more messages than there are', async () => {
    server.script.on('SELECT', claimExists((n) => n + 2));
    const { exists, uids } = await listInbox();
    expect(exists).toBe(5);
    expect(uids).toEqual([1, 2, 3]);
  });

  it('a garbage row: imapflow leaves it out of the listing', async () => {
    server.script.on('UID FETCH', garbageRow(1));
    const { exists, uids } = await listInbox();
    expect(exists).toBe(3);
    expect(uids).not.toContain(2);
    expect(uids).toEqual(expect.arrayContaining([1, 3]));
  });

  it('a body that comes back NIL', async () => {
    server.script.on('UID FETCH', nilBody((_row, i) => i === 0));
    const { rows } = await listInbox({ uid: true, source: true });
    expect(rows.map((r) => r.uid)).toEqual([1, 2, 3]);
    expect(rows[0]!.source?.length ?? 0).toBe(0);
    expect(rows[1]!.source!.toString()).toBe(message(2));
  });

  it('duplicate UIDs in one listing', async () => {
    server.script.on('UID FETCH', duplicateUid(1));
    const { uids } = await listInbox();
    expect(uids).toEqual([1, 1, 3]);
  });

  it('a UID that does not fit 32 bits', async () => {
    server.script.on('UID FETCH', uidAbove32Bits(0));
    const { uids } = await listInbox();
    expect(uids).toHaveLength(3);
    expect(uids[0]).toBe(2 ** 32);
  });

  it('a SELECT without UIDVALIDITY', async () => {
    server.script.on('SELECT', withoutUidValidity());
    client = await imapflowOn(server);
    const mailbox = await client.mailboxOpen('INBOX');
    expect(mailbox.uidValidity).toBeUndefined();
    expect(mailbox.exists).toBe(3);
  });

  it('RFC822.SIZE claims other than the bytes sent', async () => {
    server.script.on('UID FETCH', claimSize(() => 1024));
    const { rows } = await listInbox({ uid: true, size: true, source: true });
    expect(rows.map((r) => r.size)).toEqual([1024, 1024, 1024]);
    expect(rows.map((r) => r.source!.length)).toEqual([1, 2, 3].map((n) => message(n).length));
  });

  it('an unsolicited FETCH with only UID and FLAGS comes amid the listing: imapflow hands it over as a row of its own', async () => {
    server.script.on('UID FETCH', unsolicitedFlags({ withUid: true, which: (_row, i) => i === 0 }));
    const { rows } = await listInbox();
    expect(rows.map((r) => [r.seq, r.uid, r.size])).toEqual([
      [1, 1, message(1).length],
      [1, 1, undefined],
      [2, 2, message(2).length],
      [3, 3, message(3).length],
    ]);
  });

  it('SELECT and STATUS without UIDNEXT', async () => {
    server.script.on(/^(SELECT|EXAMINE|STATUS)$/, withoutUidNext());
    client = await imapflowOn(server);
    const status = await client.status('INBOX', { uidNext: true, messages: true });
    expect(status).toMatchObject({ messages: 3 });
    expect(status && status.uidNext).toBeUndefined();
    const mailbox = await client.mailboxOpen('INBOX');
    expect(mailbox.uidNext).toBeFalsy();
  });
});
