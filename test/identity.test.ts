import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findMessageId, identityFromBody, IdentityBuilder, upgradeSavedIdentity } from '../src/core/identity.js';

const crlf = (text: string) => Buffer.from(text.replace(/\n/g, '\r\n'), 'latin1');
const lf = (text: string) => Buffer.from(text, 'latin1');
const identity = (bytes: Uint8Array) => identityFromBody(bytes).identity;

/** What servers were seen doing to a message they store (README, "What imapfw checks"). */
const normalisations: Record<string, (message: string) => Buffer> = {
  'CRLF line ends': (m) => crlf(m),
  'bare LF line ends': (m) => lf(m),
  'a final CRLF added': (m) => crlf(m.endsWith('\n') ? m : `${m}\n`),
  'trailing line breaks': (m) => crlf(`${m}\n\n`),
  '8-bit header bytes as ?': (m) => crlf(rewriteHeader(m, (field) => field.replace(/[\x80-\xff]/g, '?'))),
  '8-bit header characters as one ?': (m) => crlf(rewriteHeader(m, (field) => field.replace(/[\xc0-\xff][\x80-\xbf]*/g, '?').replace(/[\x80-\xff]/g, '?'))),
  '8-bit headers as encoded-words': (m) =>
    crlf(rewriteHeader(m, (field) => field.replace(/[^ ]*[\x80-\xff][^ ]*/g, (word) => `=?UTF-8?B?${Buffer.from(word, 'latin1').toString('base64')}?=`))),
  'header refolded': (m) => crlf(rewriteHeader(m, (field) => field.replace(/ /g, '\n  '))),
  'a trace field added': (m) => crlf(`Received: from somewhere by imap.example; Mon, 1 Jan 2024 00:00:00 +0000\n${m}`),
};

/** Applies `rewrite` to each header line that has an 8-bit byte (as servers do), or to every line when none does. */
function rewriteHeader(message: string, rewrite: (field: string) => string): string {
  const end = message.indexOf('\n\n');
  const header = end === -1 ? message : message.slice(0, end);
  const rest = end === -1 ? '' : message.slice(end);
  const lines = header.split('\n');
  const eightBit = lines.some((line) => /[\x80-\xff]/.test(line));
  return lines.map((line) => (!eightBit || /[\x80-\xff]/.test(line) ? rewrite(line) : line)).join('\n') + rest;
}

const text = (chars: string) => fc.string({ unit: fc.constantFrom(...chars), maxLength: 30 });
const word = text('abcXYZ019 .,-');
const eightBitWord = text('ab \xe9\xfc\xc3\xa9');
const bodyLine = text('ab c\t=-.\xe9');

/** A message as latin1 text with LF line ends: header fields (some with raw 8-bit bytes), a blank line, a body. */
const message = (withMessageId: fc.Arbitrary<boolean>) =>
  fc
    .record({
      messageId: withMessageId,
      id: text('abcdef0123456789'),
      subject: fc.oneof(word, eightBitWord),
      from: fc.oneof(word, eightBitWord),
      date: word,
      body: fc.array(bodyLine, { maxLength: 8 }),
      finalBreak: fc.boolean(),
    })
    .map(({ messageId, id, subject, from, date, body, finalBreak }) => {
      const header = [`Date: Mon, ${date}`, `From: ${from} <f@x.example>`, `Subject: ${subject}`, ...(messageId ? [`Message-ID: <${id}@x.example>`] : [])];
      return `${header.join('\n')}\n\n${body.join('\n')}${finalBreak ? '\n' : ''}`;
    });

describe('message identity', () => {
  it('is the Message-ID alone, whatever the size or line ends', () => {
    const text = 'Subject: hi\nMessage-ID: <a@b.example>\n\nbody\n';
    expect(identity(crlf(text))).toBe('mid:<a@b.example>');
    expect(identity(lf(text))).toBe('mid:<a@b.example>');
  });

  it('hashes the message when there is no Message-ID', () => {
    const a = identity(lf('Subject: x\n\nsame\n'));
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(identity(crlf('Subject: x\n\nsame\n'))).toBe(a);
    expect(identity(lf('Subject: x\n\nother\n'))).not.toBe(a);
    expect(identity(lf('Subject: y\n\nsame\n'))).not.toBe(a);
    expect(identity(lf('Subject: x\n\nsame\n\nmore\n'))).not.toBe(a);
    expect(identity(lf('Subject: x\n\n same\n'))).not.toBe(a);
  });

  it('finds a folded Message-ID, keeps only its angle-bracketed part, and ignores one in the body', () => {
    expect(findMessageId('Subject: x\r\nMessage-Id:\r\n <folded@x> (comment)')).toBe('<folded@x>');
    expect(identity(crlf('Subject: x\n\nMessage-ID: <in-body@x>\n'))).toMatch(/^sha256:/);
  });

  it('finds the Message-ID of a message larger than the header limit', () => {
    const big = Buffer.concat([crlf('Message-ID: <big@x>\n\n'), Buffer.alloc(3 << 20, 'a')]);
    expect(identity(big)).toBe('mid:<big@x>');
  });

  it.each(Object.keys(normalisations))('survives %s, with or without a Message-ID', (name) => {
    const normalise = normalisations[name]!;
    fc.assert(
      fc.property(message(fc.boolean()), (m) => {
        expect(identity(normalise(m))).toBe(identity(lf(m)));
      }),
    );
  });

  it('tells different messages apart', () => {
    fc.assert(
      fc.property(message(fc.boolean()), message(fc.boolean()), (a, b) => {
        const sameMail = (m: string) => m.replace(/\n+$/, '');
        fc.pre(sameMail(a) !== sameMail(b));
        const [ma, mb] = [findMessageId(a), findMessageId(b)];
        // Two messages with the same Message-ID are the same mail by definition.
        fc.pre(ma === undefined || ma !== mb);
        // Without a Message-ID, 8-bit header fields do not count (servers rewrite them): compare what counts.
        if (ma === undefined && mb === undefined) fc.pre(countedPart(a) !== countedPart(b));
        expect(identity(lf(a))).not.toBe(identity(lf(b)));
      }),
    );
  });

  it('gives the same identity however the bytes are cut into chunks', () => {
    fc.assert(
      fc.property(message(fc.boolean()), fc.boolean(), fc.array(fc.nat({ max: 250 }), { maxLength: 6 }), (m, asCrlf, cuts) => {
        const bytes = asCrlf ? crlf(m) : lf(m);
        const builder = new IdentityBuilder();
        let start = 0;
        for (const cut of [...cuts].sort((a, b) => a - b)) {
          const end = Math.min(cut, bytes.length);
          if (end > start) builder.update(bytes.subarray(start, end));
          start = Math.max(start, end);
        }
        builder.update(bytes.subarray(start));
        expect(builder.digest().identity).toBe(identity(bytes));
      }),
    );
  });

  it('upgrades identities saved by earlier versions', () => {
    expect(upgradeSavedIdentity('mid:<a:1@x>:5120')).toBe('mid:<a:1@x>');
    expect(upgradeSavedIdentity(`sha256:${'0'.repeat(64)}`)).toBeUndefined();
  });
});

/** A message without Message-ID as its identity sees it: header fields without 8-bit bytes or '?', the body without trailing breaks. */
function countedPart(message: string): string {
  const end = message.indexOf('\n\n');
  const fields = message
    .slice(0, end)
    .split('\n')
    .map((field) => field.replace(/\s+/g, ' ').trim())
    .filter((field) => !/[?\x80-\xff]/.test(field));
  return `${fields.join('\n')}\n\n${message.slice(end + 2).replace(/\n+$/, '')}`;
}
