// A batch stored in one MULTIAPPEND (RFC 3502), against a scripted server that
// offers it and lies about it: every id names the message sent in its place,
// a refused batch falls back to one APPEND each, and nothing lands twice.
import { afterEach, describe, expect, it } from 'vitest';
import { PartialStoreError } from '../../src/api/errors.js';
import type { ImapRepository } from '../../src/api/repositories/imap.js';
import type { NewMessage } from '../../src/api/types.js';
import { identityFromBody } from '../../src/core/identity.js';
import { uidList } from '../../src/core/imap/multi-append.js';
import { DEFAULT_CAPABILITIES, startScriptedImap, type CommandContext, type Hook, type ScriptedImapServer } from '../support/scripted-imap/index.js';
import { refuse } from '../support/scripted-imap/misbehaviours.js';
import { lfMessage, repositoryOnScripted } from '../scripted-imap/helpers.js';

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

async function start(): Promise<void> {
  server = await startScriptedImap({ capabilities: [...DEFAULT_CAPABILITIES, 'MULTIAPPEND'] });
  repo = repositoryOnScripted(server);
}

afterEach(async () => {
  await repo?.close();
  await server?.stop();
});

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

describe('uidList', () => {
  it('reads a uid-set in the order written, and nothing that is not one', () => {
    expect(uidList('4:6,9')).toEqual([4, 5, 6, 9]);
    expect(uidList('7')).toEqual([7]);
    expect(uidList('6:4')).toEqual([6, 5, 4]);
    for (const bad of ['', '1:*', '0', 'x', '1,,2', '1:4294967296', '1:200000']) expect(uidList(bad)).toBeUndefined();
  });
});
