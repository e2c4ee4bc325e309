// The scripted server's connection misbehaviours happen exactly as scripted.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bye, dribble, dropAfterBytes, dropConnection, stallAfterBytes, stallAfterGreeting } from '../support/scripted-imap/misbehaviours.js';
import { startScriptedImap, type ScriptedImapServer } from '../support/scripted-imap/index.js';
import { imapflowOn, RawClient } from './helpers.js';

const BODY = `Subject: big\r\nMessage-ID: <big@test>\r\n\r\n${'x'.repeat(2000)}\r\n`;

let server: ScriptedImapServer;

beforeEach(async () => {
  server = await startScriptedImap({ folders: [{ name: 'INBOX', messages: [{ body: BODY }] }] });
});

afterEach(async () => {
  await server.stop();
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('scripted connection misbehaviours', () => {
  it('drops the connection at the chosen command, and only there', async () => {
    server.script.on('SELECT', dropConnection(), { nth: 2 });
    const client = await imapflowOn(server);
    await client.mailboxOpen('INBOX');
    await client.mailboxClose();
    await expect(client.mailboxOpen('INBOX')).rejects.toThrow();
    expect(client.usable).toBe(false);
    expect(server.commands('SELECT')).toHaveLength(2);
  });

  it('says BYE instead of answering, and closes', async () => {
    server.script.on('UID FETCH', bye('Shutting down for maintenance'));
    const raw = await RawClient.connect(server);
    await raw.loginAndSelect();
    raw.send('f1 UID FETCH 1:* (UID FLAGS)');
    await raw.closed;
    expect(raw.text).toMatch(/\* BYE Shutting down for maintenance\r\n$/);
  });

  it('drops the connection after N bytes of an answer, in the middle of a literal', async () => {
    server.script.on('UID FETCH', dropAfterBytes(300));
    const raw = await RawClient.connect(server);
    await raw.loginAndSelect();
    const before = raw.text.length;
    raw.send('f1 UID FETCH 1 (UID BODY.PEEK[])');
    await raw.closed;
    const answer = raw.text.slice(before);
    expect(answer).toHaveLength(300);
    expect(answer).toMatch(/^\* 1 FETCH \(UID 1 BODY\[\] \{\d+\}\r\nSubject: big/);
    expect(answer).not.toContain('f1 OK');
  });

  it('stalls after the greeting: the socket stays open and nothing more comes', async () => {
    server.script.on('CONNECT', stallAfterGreeting());
    const raw = await RawClient.connect(server);
    await raw.waitFor(/^\* OK \[CAPABILITY [^\]]+\] .*\r\n$/);
    const greeting = raw.text;
    raw.send('a CAPABILITY');
    await sleep(300);
    expect(raw.text).toBe(greeting);
    expect(raw.socket.destroyed).toBe(false);
    raw.close();
  });

  it('stalls in the middle of a literal', async () => {
    server.script.on('UID FETCH', stallAfterBytes(100));
    const raw = await RawClient.connect(server);
    await raw.loginAndSelect();
    const before = raw.text.length;
    raw.send('f1 UID FETCH 1 (UID BODY.PEEK[])');
    await raw.waitFor(/Subject/);
    await sleep(300);
    expect(raw.text.length - before).toBe(100);
    raw.send('n1 NOOP');
    await sleep(100);
    expect(raw.text.length - before).toBe(100);
    expect(raw.socket.destroyed).toBe(false);
    raw.close();
  });

  it('dribbles its answer a byte at a time', async () => {
    server.script.on('CAPABILITY', dribble(5));
    const raw = await RawClient.connect(server);
    await raw.waitFor(/^\* OK.*\r\n$/);
    const chunksBefore = raw.chunks.length;
    raw.send('c1 CAPABILITY');
    const text = await raw.waitFor(/c1 OK.*\r\n$/);
    const answerBytes = text.length - raw.chunks.slice(0, chunksBefore).reduce((n, c) => n + c.length, 0);
    // Many small writes: far more chunks than one answer would take.
    expect(raw.chunks.length - chunksBefore).toBeGreaterThan(answerBytes / 4);
    raw.close();
  });

  it('stop() closes every open connection', async () => {
    server.script.on('CONNECT', stallAfterGreeting());
    const raws = await Promise.all([RawClient.connect(server), RawClient.connect(server)]);
    await Promise.all(raws.map((r) => r.waitFor(/^\* OK/)));
    await server.stop();
    await Promise.all(raws.map((r) => r.closed));
    server = await startScriptedImap();
  });
});
