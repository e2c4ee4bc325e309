// A message the server refuses as too large is reported as what it is, a
// TooBigError for that message, never as a lost connection (exit 4, "it will
// be retried"), whether the server answers NO [TOOBIG], a plain NO or BAD
// that says so, and whether or not it hangs up after the answer.
import { afterEach, describe, expect, it } from 'vitest';
import { NetworkError, TooBigError } from '../../src/api/errors.js';
import { ImapRepository } from '../../src/api/repositories/imap.js';
import { makeMessage } from '../support/messages.js';
import { startScriptedImap, withoutCapabilities, type ScriptedImapServer } from '../support/scripted-imap/index.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const LIMIT = 100_000;

async function serverRefusing(answer: 'NO [TOOBIG]' | 'NO' | 'BAD', options: { literalPlus: boolean; hangUp: boolean }): Promise<ScriptedImapServer> {
  const server = await startScriptedImap(options.literalPlus ? {} : { capabilities: withoutCapabilities('LITERAL+', 'LITERAL-') });
  cleanups.push(() => server.stop());
  server.script.literalLimit = { bytes: LIMIT, answer, text: 'Literal too large' };
  if (options.hangUp) {
    // Like a server that cannot skip a refused literal: the refusal, then the connection closes.
    server.script.on('APPEND', async (ctx, next) => {
      await next();
      if (ctx.reply.status !== 'OK') ctx.session.output.dropAfter(Buffer.byteLength(`${ctx.tag} ${ctx.reply.status} ${ctx.reply.code ? `[${ctx.reply.code}] ` : ''}${ctx.reply.text}\r\n`));
    });
  }
  return server;
}

describe('a message too large for the server', () => {
  for (const answer of ['NO [TOOBIG]', 'NO', 'BAD'] as const) {
    for (const hangUp of [false, true]) {
      it(`answered ${answer}${hangUp ? ', then the connection closed' : ''}: TooBigError, and the next call works`, async () => {
        const server = await serverRefusing(answer, { literalPlus: hangUp, hangUp });
        const repository = new ImapRepository({ url: server.url('alice'), password: { value: server.users.alice! }, timeoutMs: 5000 });
        cleanups.push(() => repository.close());
        const error = await repository.store('INBOX', [{ body: makeMessage({ subject: 'huge', size: 2 * LIMIT }), flags: [], internalDate: 0 }]).catch((e: unknown) => e);
        expect(error).not.toBeInstanceOf(NetworkError);
        // Either the repository's own error, or (once stores fail per message) a partial store naming the reason.
        const reason = error instanceof TooBigError ? error.message : String((error as { failures?: { reason: string }[] }).failures?.[0]?.reason);
        expect(reason).toMatch(/message too large for the server \(.*Literal too large\)/);
        if (error instanceof TooBigError) expect(error.code).toBe('ETOOBIG');
        const [uid] = await repository.store('INBOX', [{ body: makeMessage({ subject: 'small' }), flags: [], internalDate: 0 }]);
        expect(Number(uid)).toBeGreaterThan(0);
        expect(server.account.snapshot().INBOX!.length).toBe(1);
      });
    }
  }
});
