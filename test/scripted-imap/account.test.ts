// The scripted account: seeding, reading back, renumbering, the delimiter,
// and how rules count commands.
import type { ImapFlow } from 'imapflow';
import { afterEach, describe, expect, it } from 'vitest';
import { refuse, renumberFirst } from '../support/scripted-imap/misbehaviours.js';
import { startScriptedImap, type ScriptedImapServer } from '../support/scripted-imap/index.js';
import { imapflowOn, RawClient } from './helpers.js';

const message = (n: number): string => `Subject: m${n}\r\nMessage-ID: <m${n}@test>\r\n\r\nbody ${n}\r\n`;

let server: ScriptedImapServer;
let clients: ImapFlow[] = [];

afterEach(async () => {
  for (const client of clients) client.close();
  clients = [];
  await server.stop();
});

async function connect(): Promise<ImapFlow> {
  const client = await imapflowOn(server);
  clients.push(client);
  return client;
}

async function subjectsByUid(client: ImapFlow): Promise<Record<number, string>> {
  await client.mailboxOpen('Work');
  const rows = await client.fetchAll('1:*', { uid: true, headers: ['subject'] }, { uid: true });
  return Object.fromEntries(rows.map((r) => [r.uid, r.headers!.toString().trim()]));
}

describe('scripted account', () => {
  it('serves seeded folders and messages and shows what it holds', async () => {
    server = await startScriptedImap({
      folders: [{ name: 'Work', uidValidity: 42, specialUse: '\\Archive', messages: [{ body: message(1), flags: ['\\Seen', 'todo'], internalDate: Date.UTC(2024, 0, 1) }] }],
    });
    const client = await connect();
    const work = (await client.list()).find((f) => f.path === 'Work');
    expect(work?.specialUse).toBe('\\Archive');
    const mailbox = await client.mailboxOpen('Work');
    expect(String(mailbox.uidValidity)).toBe('42');
    const [row] = await client.fetchAll('1:*', { uid: true, flags: true, internalDate: true, source: true }, { uid: true });
    expect([...row!.flags!].sort()).toEqual(['\\Seen', 'todo']);
    expect((row!.internalDate as Date).getTime()).toBe(Date.UTC(2024, 0, 1));
    await client.messageFlagsAdd('1', ['done'], { uid: true });
    expect(server.account.snapshot().Work).toEqual([{ uid: 1, flags: ['\\Seen', 'done', 'todo'], internalDate: Date.UTC(2024, 0, 1), body: Buffer.from(message(1)) }]);
  });

  it('renumbers a folder between two connections: new UIDVALIDITY, old UIDs name other messages', async () => {
    server = await startScriptedImap({ folders: [{ name: 'Work', messages: [1, 2, 3].map((n) => ({ body: message(n) })) }] });
    const first = await connect();
    const before = await subjectsByUid(first);
    const validity = first.mailbox && first.mailbox.uidValidity;
    first.close();
    server.account.renumber('Work');
    const second = await connect();
    const after = await subjectsByUid(second);
    expect(second.mailbox && second.mailbox.uidValidity).not.toBe(validity);
    expect(Object.values(after).sort()).toEqual(Object.values(before).sort());
    expect(after[1]).toBe(before[3]);
  });

  it('hangs up on a session whose selected folder was renumbered', async () => {
    server = await startScriptedImap({ folders: [{ name: 'Work', messages: [{ body: message(1) }] }] });
    const client = await connect();
    await client.mailboxOpen('Work');
    server.account.renumber('Work');
    await expect(client.fetchAll('1:*', { uid: true }, { uid: true })).rejects.toThrow();
    expect(client.usable).toBe(false);
  });

  it('renumbers at a chosen command', async () => {
    server = await startScriptedImap({ folders: [{ name: 'Work', messages: [1, 2].map((n) => ({ body: message(n) })) }] });
    server.script.on('SELECT', renumberFirst('Work'), { nth: 2 });
    const client = await connect();
    const first = await client.mailboxOpen('Work');
    await client.mailboxClose();
    const second = await client.mailboxOpen('Work');
    expect(second.uidValidity).not.toBe(first.uidValidity);
  });

  it('answers a NIL hierarchy delimiter', async () => {
    server = await startScriptedImap({ delimiter: null, folders: [{ name: 'a.b' }] });
    const client = await connect();
    const list = await client.list();
    expect(list.map((f) => f.path).sort()).toEqual(['INBOX', 'a.b']);
    expect(list.every((f) => !f.delimiter)).toBe(true);
  });

  it('counts commands per rule: nth, from, times', async () => {
    server = await startScriptedImap();
    server.script.on('NOOP', refuse('second'), { nth: 2 });
    server.script.on('NOOP', refuse('from the fourth, twice'), { from: 4, times: 2 });
    const raw = await RawClient.connect(server);
    await raw.loginAndSelect();
    const answers: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      raw.send(`n${i} NOOP`);
      const text = await raw.waitFor(new RegExp(`n${i} (OK|NO) .*\\r\\n$`));
      answers.push(new RegExp(`n${i} (?:NO (.*)|OK .*)\\r\\n$`).exec(text)![1] ?? 'OK');
    }
    raw.close();
    expect(answers).toEqual(['OK', 'second', 'OK', 'from the fourth, twice', 'from the fourth, twice', 'OK']);
  });
});
