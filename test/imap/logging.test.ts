import { Writable } from 'node:stream';
import { ImapFlow } from 'imapflow';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapRepository } from '../../src/api/repositories/imap.js';
import { imapflowLogger } from '../../src/core/imap/imapflow-logger.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startScriptedImap } from '../support/scripted-imap/index.js';
import { encoder } from './helpers.js';
import { folderAt } from '../support/folder-at.js';

const PASSWORD = 'Pa55-w0rd-that-must-never-be-logged';

function capturingLogger(level = 'trace'): { logger: pino.Logger; text: () => string } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level }, sink), text: () => lines.join('') };
}

describe('logging', () => {
  let server: DovecotServer;
  beforeAll(async () => {
    server = await startDovecot({ users: { alice: PASSWORD } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('never writes the password, at trace level, on success and on failure', async () => {
    const { logger, text } = capturingLogger();
    const repo = new ImapRepository({ url: server.url('alice'), password: { value: PASSWORD }, logger });
    await repo.createFolder('Logged');
    const [id] = await repo.store('Logged', [{ body: encoder.encode('Subject: hi\r\n\r\nhello\r\n'), flags: ['\\Seen'], internalDate: 0 }]);
    await repo.fetch(await folderAt(repo, 'Logged'), [id!]);
    await repo.close();

    const wrong = `${PASSWORD}-but-wrong`;
    const failing = new ImapRepository({ url: server.url('alice'), password: { value: wrong }, logger });
    const error = await failing.listFolders().catch((e: unknown) => e);
    expect((error as Error).name).toBe('AuthError');

    const log = text();
    expect(log).toMatch(/AUTHENTICATE PLAIN|LOGIN/); // the login itself was logged...
    expect(log).toContain('"component":"imapflow"');
    expect(log).not.toContain(PASSWORD); // ...without the password
    for (const encoded of [Buffer.from(`\0alice\0${PASSWORD}`).toString('base64'), Buffer.from(`\0alice\0${wrong}`).toString('base64')]) {
      expect(log).not.toContain(encoded);
    }
    expect(JSON.stringify(error)).not.toContain(PASSWORD);
    expect(String((error as Error).stack)).not.toContain(PASSWORD);
  });

  it('to a loopback server, plain text is the rule: no STARTTLS attempted, no downgrade warning', async () => {
    const { logger, text } = capturingLogger();
    const repo = new ImapRepository({ url: server.url('alice'), password: { value: PASSWORD }, logger });
    await repo.listFolders();
    await repo.close();
    const log = text();
    expect(log).toContain('"component":"imapflow"');
    expect(log).not.toMatch(/STARTTLS/);
    expect(log).not.toContain('"level":40');
  });

  it("a refused login is the repository's error alone: imapflow's own error lines (with their stacks) go to debug", async () => {
    const levelsAt = async (level: string) => {
      const { logger, text } = capturingLogger(level);
      const failing = new ImapRepository({ url: server.url('alice'), password: { value: 'not-the-password' }, logger });
      expect(((await failing.listFolders().catch((e: unknown) => e)) as Error).name).toBe('AuthError');
      await failing.close();
      return text().trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { level: number; component?: string; err?: unknown });
    };
    expect((await levelsAt('info')).filter((line) => line.component === 'imapflow')).toEqual([]);
    // Still there for whoever asks for debug.
    expect((await levelsAt('debug')).some((line) => line.component === 'imapflow' && line.err !== undefined && line.level === 20)).toBe(true);
  });

  it('a warning about what the server did, with no error, stays a warning; a failure is kept for the error that reports it', () => {
    const { logger, text } = capturingLogger('info');
    const log = imapflowLogger(logger);
    log.warn({ msg: 'Dropped flags the mailbox does not accept', cid: 'x' });
    log.error({ msg: 'Command failed', err: Object.assign(new Error('Command failed'), { responseStatus: 'NO', serverResponseCode: 'CANNOT', responseText: 'not now' }), cid: 'x' });
    expect(text().trim().split('\n').map((line) => (JSON.parse(line) as { level: number; msg: string }).msg)).toEqual(['Dropped flags the mailbox does not accept']);
    // The server's answer, for the repository's error when imapflow answers the refusal with `false`; once.
    expect(log.takeRefusal()).toBe('NO [CANNOT] not now');
    expect(log.takeRefusal()).toBeUndefined();
  });

  it("imapflow's connection chatter (connected, logged in) is logged at debug: at the default info level nothing", async () => {
    for (const level of ['info', 'debug']) {
      const { logger, text } = capturingLogger(level);
      const repo = new ImapRepository({ url: server.url('alice'), password: { value: PASSWORD }, logger });
      await repo.listFolders();
      await repo.close();
      const lines = text().trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { level: number; msg?: string; component?: string });
      const authenticated = lines.filter((line) => line.component === 'imapflow' && line.msg === 'User authenticated');
      if (level === 'info') expect(lines.filter((line) => line.component === 'imapflow')).toEqual([]);
      else expect(authenticated.map((line) => line.level)).toEqual([20]);
    }
  });

  it("imapflow learns which levels are on, so at info it never writes commands and responses back into text for nothing", () => {
    // imapflow asks this before it compiles every response for its trace line; without an answer it assumes yes.
    type Asking = { isLogLevelEnabled(level: string): boolean };
    const expected: Record<string, string[]> = { info: [], debug: ['debug'], trace: ['trace', 'debug'] };
    for (const [level, on] of Object.entries(expected)) {
      const client = new ImapFlow({ host: '127.0.0.1', port: 1, logger: imapflowLogger(capturingLogger(level).logger) }) as unknown as Asking;
      expect(['trace', 'debug'].filter((asked) => client.isLogLevelEnabled(asked))).toEqual(on);
    }
  });

  it("a server's [ALERT] is logged as a warning, at the default level: its text must reach the user (RFC 9051 7.1)", async () => {
    const scripted = await startScriptedImap({ users: { alice: PASSWORD } });
    try {
      scripted.script.on('LIST', async (ctx, next) => {
        await next();
        ctx.reply = { ...ctx.reply, code: 'ALERT', text: 'Your mailbox is over quota' };
      });
      const { logger, text } = capturingLogger('info');
      const repo = new ImapRepository({ url: scripted.url('alice'), password: { value: PASSWORD }, logger });
      await repo.listFolders();
      await repo.close();
      const warnings = text().trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { level: number; alert?: string }).filter((line) => line.level === 40);
      expect(warnings.map((line) => line.alert)).toEqual(['Your mailbox is over quota']);
    } finally {
      await scripted.stop();
    }
  });
});
