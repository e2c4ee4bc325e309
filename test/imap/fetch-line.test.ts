import fc from 'fast-check';
import { parser } from 'imapflow/lib/handler/imap-handler.js';
import { describe, expect, it } from 'vitest';
import { readFetchLine } from '../../scripts/imapflow-fetch-line.mjs';

// scripts/imapflow-fetch-line.mjs reads the bundled imapflow's plain FETCH lines in place of its tokenizer: what it
// answers must be what the tokenizer answers, and what it cannot answer it must leave to the tokenizer.
const tokenized = async (line: Buffer): Promise<unknown> => {
  try {
    return await (parser as (input: Buffer, options: object) => Promise<unknown>)(line, {});
  } catch (error) {
    return { refused: (error as { code?: string }).code };
  }
};

/** Mostly what servers send, sometimes anything else: the fast path must take the first and leave the rest. */
const usually = <T,>(common: fc.Arbitrary<T>, other: fc.Arbitrary<T>) => fc.oneof({ arbitrary: common, weight: 19 }, { arbitrary: other, weight: 1 });
const number = usually(fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String), fc.constantFrom('', '01', 'x', '-1'));
const flag = usually(
  fc.constantFrom('\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft', '\\Recent', '$Forwarded', '$Junk', 'NonJunk', '$label1', 'Work_2'),
  // Anything the tokenizer might or might not take as an atom: backslashes, brackets, wildcards, quotes, non-ASCII.
  fc.string({ unit: fc.constantFrom('a', 'Z', '0', '\\', '$', '.', '-', '_', '*', '%', '[', ']', '{', '}', '"', '+', ':', '\u00e9', '\t'), minLength: 1, maxLength: 6 }),
);
const quoted = usually(
  fc.constantFrom('28-Nov-2026 05:22:19 +0000', ' 1-Jan-2020 00:00:00 -0130', 'Inbox/Sub folder', ''),
  fc.string({ unit: fc.constantFrom('a', ' ', '\\', '"', '(', ')', '\u00e9', '~', '\u007f'), maxLength: 8 }),
).map((text) => `"${text}"`);
const list = (item: fc.Arbitrary<string>) => fc.array(item, { maxLength: 4 }).map((items) => `(${items.join(' ')})`);
const item = usually(
  fc.oneof(
    number.map((uid) => `UID ${uid}`),
    list(flag).map((flags) => `FLAGS ${flags}`),
    number.map((modseq) => `MODSEQ (${modseq})`),
    number.map((size) => `RFC822.SIZE ${size}`),
    quoted.map((date) => `INTERNALDATE ${date}`),
    list(quoted).map((labels) => `X-GM-LABELS ${labels}`),
  ),
  fc.constantFrom('BODY[] {3}', 'BODY[HEADER.FIELDS (MESSAGE-ID)] NIL', 'X-ITEM NIL', 'X-NESTED ((a) b)', 'X-EMPTY ()', 'X ( a)', 'X (a )'),
);
const line = fc
  .tuple(
    usually(fc.constant('*'), fc.constantFrom('A1', '+', '')),
    number,
    usually(fc.constant(' FETCH ('), fc.constantFrom(' fetch (', ' FETCH(', ' EXISTS', ' FETCH  (')),
    fc.array(fc.tuple(item, usually(fc.constant(' '), fc.constantFrom('  ', ''))), { maxLength: 6 }),
    usually(fc.constant(')'), fc.constantFrom(' )', ') ', '')),
  )
  .map(([tag, sequence, command, items, close]) => `${tag} ${sequence}${command}${items.map(([text, sep], i) => (i ? sep : '') + text).join('')}${close}`);

describe('FETCH lines read without the tokenizer', () => {
  it('answer as the tokenizer does, or are left to it', async () => {
    let read = 0;
    await fc.assert(
      fc.asyncProperty(line, async (text) => {
        const bytes = Buffer.from(text, 'utf8');
        const answer = readFetchLine(bytes);
        if (answer === undefined) return;
        read++;
        expect(answer).toStrictEqual(await tokenized(bytes));
      }),
      { numRuns: 3000 },
    );
    // The generator makes plenty of lines the fast path must take, or the property says nothing.
    expect(read).toBeGreaterThan(150);
  });

  it("take a listing's, a change listing's and a STORE answer's lines, and the tokenizer's answer is theirs", async () => {
    for (const text of [
      '* 1 FETCH (UID 5000 FLAGS (\\Seen \\Flagged) INTERNALDATE "28-Nov-2026 05:22:19 +0000" RFC822.SIZE 45123 MODSEQ (123456))',
      '* 12 FETCH (UID 40 MODSEQ (7))',
      '* 3 FETCH (UID 9 FLAGS () INTERNALDATE " 1-Jan-2020 00:00:00 -0130" RFC822.SIZE 0)',
      '* 4294967295 FETCH (FLAGS ($Forwarded NonJunk) UID 4294967295)',
    ]) {
      const bytes = Buffer.from(text);
      expect(readFetchLine(bytes), text).toBeDefined();
      expect(readFetchLine(bytes)).toStrictEqual(await tokenized(bytes));
    }
  });

  it('leave sections, literals, NIL, nested lists, escapes and other bytes to the tokenizer', () => {
    for (const text of [
      '* 1 FETCH (UID 5 BODY[] {3}',
      '* 1 FETCH (UID 5 BODY[HEADER.FIELDS (MESSAGE-ID)] NIL)',
      '* 1 FETCH (UID 5 X-ITEM NIL)',
      '* 1 FETCH (UID 5 X ((a) b))',
      '* 1 FETCH (UID 5 X-GM-LABELS ("a\\"b"))',
      '* 1 FETCH (UID 5 X-GM-LABELS ("caf\u00e9"))',
      '* 1 FETCH (UID 5 FLAGS (\\*))',
      '* 1 FETCH (UID  5)',
      '\u0000* 1 FETCH (UID 5)',
      '* 1 EXISTS',
      'A1 OK FETCH (UID 5)',
    ]) {
      expect(readFetchLine(Buffer.from(text)), text).toBeUndefined();
    }
    expect(readFetchLine('* 1 FETCH (UID 5)')).toBeUndefined();
  });
});
