import fc from 'fast-check';
import { compiler, parser } from 'imapflow/lib/handler/imap-handler.js';
import { describe, expect, it } from 'vitest';
import { readFetchLine } from '../../scripts/imapflow-fetch-line.mjs';
import { plainItemKey } from '../../scripts/imapflow-item-key.mjs';

// scripts/imapflow-fetch-line.mjs reads the bundled imapflow's plain FETCH lines in place of its tokenizer, and
// scripts/imapflow-item-key.mjs names their items in place of its compiler: what they answer must be what the
// tokenizer and the compiler answer, and what they cannot answer they must leave to them.
const tokenized = async (line: Buffer, literals: Buffer[] = []): Promise<unknown> => {
  try {
    return await (parser as (input: Buffer, options: object) => Promise<unknown>)(line, { literals });
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
  fc.string({ unit: fc.constantFrom('a', 'Z', '0', '\\', '$', '.', '-', '_', '*', '%', '[', ']', '{', '}', '<', '"', '+', ':', '\u00e9', '\t'), minLength: 1, maxLength: 6 }),
);
const quoted = usually(
  fc.constantFrom('28-Nov-2026 05:22:19 +0000', ' 1-Jan-2020 00:00:00 -0130', 'Inbox/Sub folder', ''),
  fc.string({ unit: fc.constantFrom('a', ' ', '\\', '"', '(', ')', '\u00e9', '~', '\u007f'), maxLength: 8 }),
).map((text) => `"${text}"`);
const list = (item: fc.Arbitrary<string>) => fc.array(item, { maxLength: 4 }).map((items) => `(${items.join(' ')})`);
/** An item's text, and the literals the stream read for it (the line holds their markers). */
type Item = [string, Buffer[]];
const section = usually(
  fc.constantFrom('', 'HEADER.FIELDS (MESSAGE-ID)', 'HEADER.FIELDS (MESSAGE-ID DATE)', 'TEXT', '1.MIME', 'HEADER'),
  fc.constantFrom('HEADER.FIELDS ()', 'HEADER.FIELDS ((A))', ' ', 'X "y"', 'A NIL'),
);
const origin = usually(fc.constantFrom('', '', '<0>', '<1024>'), fc.constantFrom('<>', '<0.10>', '<x>'));
const literal = fc
  .tuple(fc.uint8Array({ maxLength: 12 }), usually(fc.constant(0), fc.constantFrom(-1, 1)), usually(fc.constant('\r\n'), fc.constantFrom('\n', '', '\r')), fc.constantFrom('{', '{', '~{'))
  .map(([bytes, skew, eol, open]): Item => [`${open}${bytes.length + skew}}${eol}`, [Buffer.from(bytes)]]);
const body = fc
  .tuple(fc.constantFrom('BODY', 'BINARY', 'BODY.PEEK', 'body', 'RFC822'), section, origin, usually(literal, fc.constantFrom<Item>(['NIL', []], ['""', []])))
  .map(([name, part, from, [value, literals]]): Item => [`${name}[${part}]${from} ${value}`, literals]);
const item: fc.Arbitrary<Item> = usually(
  fc.oneof(
    number.map((uid): Item => [`UID ${uid}`, []]),
    list(flag).map((flags): Item => [`FLAGS ${flags}`, []]),
    number.map((modseq): Item => [`MODSEQ (${modseq})`, []]),
    number.map((size): Item => [`RFC822.SIZE ${size}`, []]),
    quoted.map((date): Item => [`INTERNALDATE ${date}`, []]),
    list(quoted).map((labels): Item => [`X-GM-LABELS ${labels}`, []]),
    body,
  ),
  fc.constantFrom<Item>(['X-ITEM NIL', []], ['X-NESTED ((a) b)', []], ['X-EMPTY ()', []], ['X ( a)', []], ['X (a )', []], ['X ({1}\r\n)', [Buffer.from('a')]], ['X-LOOSE {1}\r\n', []]),
);
const line = fc
  .tuple(
    usually(fc.constant('*'), fc.constantFrom('A1', '+', '')),
    number,
    usually(fc.constant(' FETCH ('), fc.constantFrom(' fetch (', ' FETCH(', ' EXISTS', ' FETCH  (', ' F', '', ' FETCH')),
    fc.array(fc.tuple(item, usually(fc.constant(' '), fc.constantFrom('  ', ''))), { maxLength: 6 }),
    usually(fc.constant(')'), fc.constantFrom(' )', ') ', '')),
    usually(fc.constant<Buffer[]>([]), fc.constant<Buffer[]>([Buffer.from('spare')])),
  )
  .map(([tag, sequence, command, items, close, spare]) => ({
    text: `${tag} ${sequence}${command}${items.map(([[text], sep], i) => (i ? sep : '') + text).join('')}${close}`,
    literals: [...items.flatMap(([[, literals]]) => literals), ...spare],
  }));

describe('FETCH lines read without the tokenizer, items named without the compiler', () => {
  it('answer as the tokenizer does, or are left to it', async () => {
    let read = 0;
    await fc.assert(
      fc.asyncProperty(line, async ({ text, literals }) => {
        const bytes = Buffer.from(text, 'utf8');
        const answer = readFetchLine(bytes, literals);
        if (answer === undefined) return;
        read++;
        expect(answer).toStrictEqual(await tokenized(bytes, literals));
      }),
      { numRuns: 3000 },
    );
    // The generator makes plenty of lines the fast path must take, or the property says nothing.
    expect(read).toBeGreaterThan(150);
  });

  it("file each item under the key imapflow's compiler writes, or leave it to the compiler", async () => {
    let keyed = 0;
    await fc.assert(
      fc.asyncProperty(line, async ({ text, literals }) => {
        const tree = (await tokenized(Buffer.from(text, 'utf8'), literals)) as { attributes?: unknown[] };
        const items = Array.isArray(tree.attributes?.[1]) ? (tree.attributes[1] as unknown[]) : [];
        for (let i = 0; i < items.length; i += 2) {
          const key = plainItemKey(items[i]);
          if (key === undefined) continue;
          keyed++;
          expect(key).toBe((compiler as (response: object) => Buffer)({ attributes: [items[i]] }).toString().toLowerCase());
        }
      }),
      { numRuns: 1000 },
    );
    expect(keyed).toBeGreaterThan(500);
    const body = { type: 'ATOM', value: 'BODY', section: [{ type: 'ATOM', value: 'HEADER.FIELDS' }, [{ type: 'ATOM', value: 'MESSAGE-ID' }]] };
    expect(plainItemKey(body)).toBe('body[header.fields (message-id)]');
    expect(plainItemKey({ type: 'ATOM', value: 'BODY', section: [], partial: [0] })).toBeUndefined();
  });

  it("take a listing's, a change listing's, a STORE answer's and a body's lines, and the tokenizer's answer is theirs", async () => {
    const body = Buffer.from('Message-ID: <1@x>\r\n\r\n');
    for (const [text, literals] of [
      ['* 1 FETCH (UID 5000 FLAGS (\\Seen \\Flagged) INTERNALDATE "28-Nov-2026 05:22:19 +0000" RFC822.SIZE 45123 MODSEQ (123456))', []],
      ['* 12 FETCH (UID 40 MODSEQ (7))', []],
      ['* 3 FETCH (UID 9 FLAGS () INTERNALDATE " 1-Jan-2020 00:00:00 -0130" RFC822.SIZE 0)', []],
      ['* 4294967295 FETCH (FLAGS ($Forwarded NonJunk) UID 4294967295)', []],
      [`* 2 FETCH (UID 7 MODSEQ (9) BODY[HEADER.FIELDS (MESSAGE-ID)] {${body.length}}\r\n)`, [body]],
      [`* 2 FETCH (UID 7 BODY[]<1024> {${body.length}}\r\n FLAGS (\\Seen))`, [body]],
    ] as const) {
      const bytes = Buffer.from(text);
      expect(readFetchLine(bytes, literals), text).toBeDefined();
      expect(readFetchLine(bytes, literals)).toStrictEqual(await tokenized(bytes, [...literals]));
    }
  });

  it('leave NIL, nested lists, escapes, literal8 and other bytes, and lines whose literals do not match, to the tokenizer', () => {
    const one = [Buffer.from('a')];
    for (const [text, literals] of [
      ['* 1 FETCH (UID 5 BODY[] {1}\r\n)', []],
      ['* 1 FETCH (UID 5 BODY[] {2}\r\n)', one],
      ['* 1 FETCH (UID 5 BODY[] ~{1}\r\n)', one],
      ['* 1 FETCH (UID 5 BODY[] {1}\n)', one],
      ['* 1 FETCH (UID 5 X-BODY[] {1}\r\n)', one],
      ['* 1 FETCH (UID 5 BODY[HEADER.FIELDS (MESSAGE-ID)] NIL)', []],
      ['* 1 FETCH (UID 5 X-ITEM NIL)', []],
      ['* 1 FETCH (UID 5 X ((a) b))', []],
      ['* 1 FETCH (UID 5 X-GM-LABELS ("a\\"b"))', []],
      ['* 1 FETCH (UID 5 X-GM-LABELS ("caf\u00e9"))', []],
      ['* 1 FETCH (UID 5 FLAGS (\\*))', []],
      ['* 1 FETCH (UID  5)', []],
      ['\u0000* 1 FETCH (UID 5)', []],
      ['* 1 EXISTS', []],
      ['* 1234567890)', []],
      ['* 123456789 F)', []],
      ['A1 OK FETCH (UID 5)', []],
    ] as const) {
      expect(readFetchLine(Buffer.from(text), literals), text).toBeUndefined();
    }
    expect(readFetchLine('* 1 FETCH (UID 5)')).toBeUndefined();
  });
});
