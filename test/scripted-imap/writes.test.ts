// The scripted server's lying and normalizing writes happen as scripted.
import type { ImapFlow } from 'imapflow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addFinalCrlf,
  appendNotStored,
  refuseBareNewlines,
  refuseMailbox,
  rewrite8bitHeaders,
  storeDifferently,
  wrongAppendUid,
} from '../support/scripted-imap/misbehaviours.js';
import { startScriptedImap, withoutCapabilities, type ScriptedImapServer } from '../support/scripted-imap/index.js';
import { imapflowOn } from './helpers.js';

const crlf = (n: number): Buffer => Buffer.from(`Subject: m${n}\r\nMessage-ID: <m${n}@test>\r\n\r\nbody ${n}\r\n`);

let server: ScriptedImapServer;
let client: ImapFlow;

beforeEach(async () => {
  server = await startScriptedImap();
});

afterEach(async () => {
  client?.close();
  await server.stop();
});

function inbox(): Buffer[] {
  return server.account.get('INBOX').messages.map((m) => m.body);
}

describe('scripted write misbehaviours', () => {
  it('a well-behaved APPEND stores the bytes and answers their APPENDUID', async () => {
    client = await imapflowOn(server);
    const answer = await client.append('INBOX', crlf(1), ['\\Seen'], new Date(Date.UTC(2024, 0, 15, 10, 30)));
    const stored = server.account.get('INBOX').messages;
    expect(answer && answer.uid).toBe(stored[0]!.uid);
    expect(answer && String(answer.uidValidity)).toBe(String(server.account.get('INBOX').uidValidity));
    expect(stored[0]!.body.equals(crlf(1))).toBe(true);
    expect([...stored[0]!.flags]).toEqual(['\\Seen']);
    expect(stored[0]!.internalDate.getTime()).toBe(Date.UTC(2024, 0, 15, 10, 30));
  });

  it('APPEND answered OK with an APPENDUID, but the message is never stored', async () => {
    server.script.on('APPEND', appendNotStored());
    client = await imapflowOn(server);
    const answer = await client.append('INBOX', crlf(1));
    expect(answer && answer.uid).toBe(1);
    expect(inbox()).toEqual([]);
    expect(server.account.get('INBOX').uidNext).toBe(2);
  });

  it.each([
    ['repeat', (uids: number[]) => expect(uids).toEqual([1, 1, 1])],
    ['below', (uids: number[]) => expect(uids).toEqual([1, 1, 2])],
  ] as const)('wrong APPENDUID: %s', async (kind, check) => {
    server.script.on('APPEND', wrongAppendUid(kind));
    client = await imapflowOn(server);
    const uids: number[] = [];
    for (const n of [1, 2, 3]) {
      const answer = await client.append('INBOX', crlf(n));
      uids.push(answer ? answer.uid! : 0);
    }
    check(uids);
    expect(server.account.get('INBOX').messages.map((m) => m.uid)).toEqual([1, 2, 3]);
  });

  it('wrong APPENDUID: UID and UIDVALIDITY swapped', async () => {
    server.script.on('APPEND', wrongAppendUid('swapped'));
    client = await imapflowOn(server);
    const answer = await client.append('INBOX', crlf(1));
    expect(answer && answer.uid).toBe(server.account.get('INBOX').uidValidity);
  });

  it('wrong APPENDUID: another UIDVALIDITY', async () => {
    server.script.on('APPEND', wrongAppendUid('other-validity'));
    client = await imapflowOn(server);
    const answer = await client.append('INBOX', crlf(1));
    expect(answer && String(answer.uidValidity)).toBe(String(server.account.get('INBOX').uidValidity + 1));
  });

  it('stores a message a little differently than it was sent', async () => {
    const noFinalBreak = Buffer.from('Subject: s\r\nMessage-ID: <s@test>\r\n\r\nno final line break');
    const eightBit = Buffer.from('Subject: Grüße\r\nMessage-ID: <e@test>\r\n\r\nÜber\r\n');
    server.script.on('APPEND', storeDifferently((body) => rewrite8bitHeaders(addFinalCrlf(body))));
    client = await imapflowOn(server);
    await client.append('INBOX', noFinalBreak);
    await client.append('INBOX', eightBit);
    const [first, second] = inbox();
    expect(first!.equals(Buffer.concat([noFinalBreak, Buffer.from('\r\n')]))).toBe(true);
    expect(second!.length).toBe(eightBit.length);
    expect(second!.toString('latin1')).toContain('Subject: Gr????e\r\n');
    expect(second!.subarray(-8).equals(eightBit.subarray(-8))).toBe(true);
  });

  it('refuses bare-LF messages with NO and stores CRLF ones', async () => {
    server.script.on('APPEND', refuseBareNewlines());
    client = await imapflowOn(server);
    await expect(client.append('INBOX', Buffer.from('Subject: lf\n\nbody\n'))).rejects.toMatchObject({ responseText: expect.stringContaining('bare newlines') });
    await client.append('INBOX', crlf(1));
    expect(inbox()).toHaveLength(1);
  });

  it('refuses CREATE and DELETE of chosen folder names', async () => {
    server.account.createFolder('Trash', { specialUse: '\\Trash' });
    server.script.on('CREATE', refuseMailbox(['Forbidden'], 'Mailbox name not allowed'));
    server.script.on('DELETE', refuseMailbox(['Trash'], 'Trash is protected', 'CANNOT'));
    client = await imapflowOn(server);
    await expect(client.mailboxCreate('Forbidden')).rejects.toThrow();
    await client.mailboxCreate('Allowed');
    await expect(client.mailboxDelete('Trash')).rejects.toThrow();
    expect([...server.account.folders.keys()].sort()).toEqual(['Allowed', 'INBOX', 'Trash']);
  });

  it('without UIDPLUS, APPEND answers no APPENDUID and MOVE is refused (imapflow falls back to COPY)', async () => {
    await server.stop();
    server = await startScriptedImap({ capabilities: withoutCapabilities('UIDPLUS', 'MOVE'), folders: [{ name: 'Archive' }] });
    client = await imapflowOn(server);
    await client.mailboxOpen('INBOX');
    await client.append('INBOX', crlf(1));
    await client.messageFlagsAdd('1', ['\\Deleted'], { uid: true });
    await client.messageMove('1', 'Archive', { uid: true });
    expect(server.commands('APPEND')).toHaveLength(1);
    expect(server.commands('UID MOVE')).toEqual([]);
    expect(server.commands('UID COPY')).toHaveLength(1);
    expect(server.commands('EXPUNGE')).toHaveLength(1);
    expect(server.account.get('Archive').messages).toHaveLength(1);
    expect(inbox()).toEqual([]);
  });
});
