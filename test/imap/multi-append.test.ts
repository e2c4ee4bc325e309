// A batch stored in one MULTIAPPEND (RFC 3502), against a scripted server that
// offers it and lies about it: every id names the message sent in its place,
// a refused batch falls back to one APPEND each, and nothing lands twice.
import { afterEach, describe, expect, it } from 'vitest';
import type { ImapFlow } from 'imapflow';
import { PartialStoreError } from '../../src/api/errors.js';
import type { ImapRepository } from '../../src/api/repositories/imap.js';
import type { NewMessage } from '../../src/api/types.js';
import { identityFromBody } from '../../src/core/identity.js';
import { internalsOf } from '../../src/core/imap/imapflow-internals.js';
import { appendAtOnce, uidList, type AppendItem } from '../../src/core/imap/multi-append.js';
import { DEFAULT_CAPABILITIES, startScriptedImap, withoutCapabilities, type CommandContext, type Hook, type ScriptedImapServer } from '../support/scripted-imap/index.js';
import { refuse } from '../support/scripted-imap/misbehaviours.js';
import { imapflowOn, lfMessage, repositoryOnScripted } from '../scripted-imap/helpers.js';

const T0 = Date.UTC(2024, 0, 15, 10, 30, 0);

/** Four messages: LF line ends, one without Message-ID, twins, a keyword. */
function batch(tag: string): NewMessage[] {
  const twin = lfMessage(`twin ${tag}`, `twin.${tag}@x`, 'same');
  return [
    { body: lfMessage(`first ${tag}`, `a.${tag}@x`, 'no final line break'), flags: ['\\Seen', '$Label1'], internalDate: T0 },
    { body: twin, flags: [], internalDate: T0 + 1000 },
    { body: lfMessage(`without id ${tag}`, null, 'line\nanother line'), flags: ['\\Flagged'], internalDate: T0 + 2000 },
    { body: twin, flags: ['\\Answered'], internalDate: T0 + 3000 },
  ];
}

let server: ScriptedImapServer;
let repo: ImapRepository;

let client: ImapFlow | undefined;

async function start(capabilities: readonly string[] = DEFAULT_CAPABILITIES): Promise<void> {
  server = await startScriptedImap({ capabilities: [...capabilities, 'MULTIAPPEND'] });
  repo = repositoryOnScripted(server);
}

afterEach(async () => {
  await client?.logout().catch(() => {});
  client = undefined;
  await repo?.close();
  await server?.stop();
});

/** `count` messages of `size` bytes each (CRLF line ends, a Message-ID each). */
function sized(tag: string, count: number, size: number): NewMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const head = `From: a@x.example\r\nSubject: ${tag} ${i}\r\nMessage-ID: <${tag}.${i}@x>\r\n\r\n`;
    return { body: Buffer.from(head + 'x'.repeat(size - head.length - 2) + '\r\n'), flags: i % 2 ? ['\\Seen'] : [], internalDate: T0 + i * 1000 };
  });
}

/** The literal size markers of the one APPEND command received ('{6000+}', '{6000}'). */
function literalMarkers(): string[] {
  const [append] = server.commands('APPEND');
  return append?.text.match(/\{\d+\+?\}/g) ?? [];
}

/** Each id names a message with the identity, flags and date of the one sent in its place; each message sent is in INBOX once. */
function expectStoredOnce(sent: NewMessage[], ids: (string | null)[]): void {
  const stored = server.account.get('INBOX').messages;
  const byUid = new Map(stored.map((m) => [String(m.uid), m]));
  expect(new Set(ids.filter((id) => id !== null)).size).toBe(ids.filter((id) => id !== null).length);
  ids.forEach((id, i) => {
    if (id === null) return;
    const message = byUid.get(id);
    expect(message, `id ${id}`).toBeDefined();
    expect(identityFromBody(message!.body).identity).toBe(identityFromBody(sent[i]!.body).identity);
    expect([...message!.flags].sort()).toEqual([...sent[i]!.flags].sort());
    expect(message!.internalDate.getTime()).toBe(sent[i]!.internalDate);
  });
  expect(stored.length).toBe(sent.length);
}

describe('store on a server with MULTIAPPEND', () => {
  it('sends the batch in one APPEND command and takes the UIDs of its APPENDUID set, in order', async () => {
    await start();
    const sent = batch('once');
    const ids = await repo.store('INBOX', sent);
    expectStoredOnce(sent, ids);
    expect(server.commands('APPEND')).toHaveLength(1);
    // The claims were believed (plausible, and the messages there have the identities sent): no search by identity.
    expect(server.commands().filter((c) => /SEARCH/.test(c.name))).toEqual([]);
  });

  it('finds the true UIDs when the APPENDUID set is wrong (reversed, or one UID short)', async () => {
    await start();
    const lies: ((set: string) => string)[] = [(set) => (uidList(set) ?? []).reverse().join(','), (set) => (uidList(set) ?? []).slice(1).join(',')];
    const sent: NewMessage[] = [];
    const ids: (string | null)[] = [];
    for (const [i, lie] of lies.entries()) {
      const wrong: Hook = async (ctx, next) => {
        await next();
        const m = /^APPENDUID (\d+) (\S+)$/.exec(ctx.reply.code ?? '');
        if (m) ctx.reply = { ...ctx.reply, code: `APPENDUID ${m[1]} ${lie(m[2]!)}` };
      };
      server.script.on('APPEND', wrong, { nth: i + 1 });
      const messages = batch(`lie${i}`);
      sent.push(...messages);
      ids.push(...(await repo.store('INBOX', messages)));
    }
    expectStoredOnce(sent, ids);
  });

  it('sends each message alone when the server refuses the whole batch: the one it refuses alone fails alone', async () => {
    await start();
    // The batch is refused, and the message without Message-ID when it comes alone.
    const literals = (ctx: CommandContext) => ctx.args.flatMap((t) => (t.type === 'string' && t.literal ? [t.value.toString('latin1')] : []));
    server.script.on('APPEND', refuse('[LIMIT] Message too large for this mailbox'), { when: (ctx) => literals(ctx).length > 1 || /without id/.test(literals(ctx)[0] ?? '') });
    const sent = batch('refused');
    const error = (await repo.store('INBOX', sent).catch((e: unknown) => e)) as PartialStoreError;
    expect(error).toBeInstanceOf(PartialStoreError);
    expect(error.failures).toEqual([{ index: 2, reason: expect.stringMatching(/Message too large/) }]);
    expect(error.stored[2]).toBeNull();
    expectStoredOnce(sent.filter((_, i) => i !== 2), error.stored.filter((_, i) => i !== 2));
    // The batch, then one APPEND per message.
    expect(server.commands('APPEND')).toHaveLength(1 + sent.length);
  });

  it('sends nothing twice when the server stored part of a batch it answered NO', async () => {
    await start();
    // Stores the first two messages of the batch, then says NO to all of it.
    const storesSomeThenRefuses: Hook = async (ctx, next) => {
      const literals = ctx.args.filter((t) => t.type === 'string' && t.literal);
      if (literals.length < 2) return next();
      // The mailbox, then flags, date and literal of the first two.
      ctx.args = ctx.args.slice(0, 7);
      await next();
      ctx.reply = { status: 'NO', text: 'Append refused' };
    };
    server.script.on('APPEND', storesSomeThenRefuses, { nth: 1 });
    const sent = batch('partly');
    const ids = await repo.store('INBOX', sent);
    expectStoredOnce(sent, ids);
    expect(server.commands('APPEND')).toHaveLength(1 + 2);
  });
});

describe('literals of a MULTIAPPEND', () => {
  // 6000 bytes: above the 4096 bytes up to which imapflow sends a literal without waiting (LITERAL-).
  it('sends every message as a non-synchronizing literal ({n+}) when the server offers LITERAL+', async () => {
    await start();
    const sent = [...sized('plus', 3, 6000), ...sized('plus-small', 2, 300)];
    expectStoredOnce(sent, await repo.store('INBOX', sent));
    expect(literalMarkers()).toEqual(['{6000+}', '{6000+}', '{6000+}', '{300+}', '{300+}']);
  });

  it('sends synchronizing literals ({n}) when the server offers neither LITERAL+ nor LITERAL-, and {n+} up to 4096 bytes with LITERAL- alone', async () => {
    await start(withoutCapabilities('LITERAL+', 'LITERAL-'));
    let sent = [...sized('sync', 3, 6000), ...sized('sync-small', 2, 300)];
    expectStoredOnce(sent, await repo.store('INBOX', sent));
    expect(literalMarkers()).toEqual(['{6000}', '{6000}', '{6000}', '{300}', '{300}']);
    await repo.close();
    await server.stop();

    await start([...withoutCapabilities('LITERAL+', 'LITERAL-'), 'LITERAL-']);
    sent = [...sized('minus', 2, 6000), ...sized('minus-small', 2, 300), ...sized('minus-last', 1, 6000)];
    expectStoredOnce(sent, await repo.store('INBOX', sent));
    expect(literalMarkers()).toEqual(['{6000}', '{6000}', '{300+}', '{300+}', '{6000}']);
  });

  it('writes each message to the socket as the buffer it was given, not a copy', async () => {
    server = await startScriptedImap({ capabilities: [...DEFAULT_CAPABILITIES, 'MULTIAPPEND'] });
    for (const literalPlus of [true, false]) {
      client = await imapflowOn(server);
      if (!literalPlus) client.capabilities.delete('LITERAL+');
      const socket = internalsOf(client).socket!;
      const written: unknown[] = [];
      const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
      socket.write = ((...args: unknown[]) => (written.push(args[0]), write(...args))) as typeof socket.write;
      const items: AppendItem[] = sized(`copy${literalPlus}`, 3, 6000).map((m) => ({ body: Buffer.from(m.body), flags: m.flags, internalDate: m.internalDate }));
      const claims = await appendAtOnce(client, 'INBOX', items);
      expect(claims.every((claim) => claim !== undefined)).toBe(true);
      for (const item of items) expect(written.some((chunk) => chunk === item.body)).toBe(true);
      await client.logout();
    }
    expect(server.account.get('INBOX').messages).toHaveLength(6);
  });

  it('has a message above the server\'s literal limit fail alone, the others stored once, with and without LITERAL+', async () => {
    for (const capabilities of [DEFAULT_CAPABILITIES, withoutCapabilities('LITERAL+', 'LITERAL-')]) {
      await start(capabilities);
      server.script.literalLimit = { bytes: 7000, answer: 'NO [TOOBIG]', text: 'Literal too large' };
      const sent = [...sized('limit', 2, 6000), ...sized('limit-big', 1, 9000), ...sized('limit-after', 1, 6000)];
      const error = (await repo.store('INBOX', sent).catch((e: unknown) => e)) as PartialStoreError;
      expect(error).toBeInstanceOf(PartialStoreError);
      expect(error.failures).toEqual([{ index: 2, reason: expect.stringMatching(/too large/) }]);
      expectStoredOnce(sent.filter((_, i) => i !== 2), error.stored.filter((_, i) => i !== 2));
      // The batch and the big message alone were refused (a refused literal's command is not logged); the others went one APPEND each.
      expect(server.commands('APPEND')).toHaveLength(sent.length - 1);
      await repo.close();
      await server.stop();
    }
  });
});

describe('uidList', () => {
  it('reads a uid-set in the order written, and nothing that is not one', () => {
    expect(uidList('4:6,9')).toEqual([4, 5, 6, 9]);
    expect(uidList('7')).toEqual([7]);
    expect(uidList('6:4')).toEqual([6, 5, 4]);
    for (const bad of ['', '1:*', '0', 'x', '1,,2', '1:4294967296', '1:200000']) expect(uidList(bad)).toBeUndefined();
  });
});
