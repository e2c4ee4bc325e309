// The scripted server's words: refusals by pattern, echoed passwords,
// control sequences, literals too large.
import type { ImapFlow } from 'imapflow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { echoPassword, refuse } from '../support/scripted-imap/misbehaviours.js';
import { startScriptedImap, withoutCapabilities, type ScriptedImapServer } from '../support/scripted-imap/index.js';
import { imapflowOn } from './helpers.js';

const ESC = '\u001b';

let server: ScriptedImapServer;
let client: ImapFlow;

beforeEach(async () => {
  server = await startScriptedImap({ users: { alice: 'S3cret-pw!' } });
});

afterEach(async () => {
  client?.close();
  await server.stop();
});

describe('scripted words', () => {
  it('answers NO for any command matching a pattern', async () => {
    server.script.on(/^(UID )?FETCH$/, refuse('Server is busy'));
    client = await imapflowOn(server);
    await client.mailboxOpen('INBOX');
    await client.append('INBOX', Buffer.from('Subject: a\r\n\r\nb\r\n'));
    await expect(client.fetchAll('1:*', { uid: true }, { uid: true })).rejects.toMatchObject({ responseText: 'Server is busy' });
    expect(await client.status('INBOX', { messages: true })).toMatchObject({ messages: 1 });
  });

  it('echoes the password in a NO', async () => {
    server.script.on('SELECT', echoPassword());
    client = await imapflowOn(server);
    const error = await client.mailboxOpen('INBOX').catch((e: unknown) => e);
    expect(JSON.stringify(error)).toContain('S3cret-pw!');
  });

  it('puts terminal control sequences in folder names and response texts', async () => {
    const evil = `${ESC}]0;owned${ESC}\\${ESC}[2JEvil`;
    server.account.createFolder(evil);
    server.script.on('SELECT', refuse(`${ESC}[2J${ESC}[1;1Hsync complete`));
    client = await imapflowOn(server);
    const names = (await client.list()).map((f) => f.path);
    expect(names).toContain(evil);
    await expect(client.mailboxOpen('INBOX')).rejects.toMatchObject({ responseText: expect.stringContaining(`${ESC}[2J`) });
  });

  it.each([
    ['a synchronizing literal', withoutCapabilities('LITERAL+')],
    ['a LITERAL+ literal', undefined],
  ])('refuses %s too large with NO [TOOBIG], storing nothing', async (_kind, capabilities) => {
    await server.stop();
    server = await startScriptedImap(capabilities ? { capabilities } : {});
    server.script.literalLimit = { bytes: 1000 };
    client = await imapflowOn(server);
    const big = Buffer.from(`Subject: big\r\n\r\n${'x'.repeat(5000)}\r\n`);
    await expect(client.append('INBOX', big)).rejects.toMatchObject({ serverResponseCode: 'TOOBIG' });
    const small = Buffer.from('Subject: small\r\n\r\nok\r\n');
    await client.append('INBOX', small);
    expect(server.account.get('INBOX').messages.map((m) => m.body.length)).toEqual([small.length]);
    expect(client.usable).toBe(true);
  });

  it('refuses a literal too large with BAD when told to', async () => {
    await server.stop();
    server = await startScriptedImap({ capabilities: withoutCapabilities('LITERAL+') });
    server.script.literalLimit = { bytes: 10, answer: 'BAD', text: 'Literal too big' };
    client = await imapflowOn(server);
    await expect(client.append('INBOX', Buffer.from('Subject: x\r\n\r\nbody\r\n'))).rejects.toMatchObject({ responseStatus: 'BAD' });
    expect(server.account.get('INBOX').messages).toEqual([]);
  });
});
