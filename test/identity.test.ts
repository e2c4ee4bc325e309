import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findMessageId, identityFromBody, IdentityBuilder } from '../src/core/identity.js';

const crlf = (text: string) => Buffer.from(text.replace(/\n/g, '\r\n'));

describe('message identity', () => {
  it('is the Message-ID and the CRLF size, whatever the line ends', () => {
    const text = 'Subject: hi\nMessage-ID: <a@b.example>\n\nbody\n';
    expect(identityFromBody(crlf(text)).identity).toBe(`mid:<a@b.example>:${crlf(text).length}`);
    expect(identityFromBody(Buffer.from(text)).identity).toBe(identityFromBody(crlf(text)).identity);
  });

  it('hashes the CRLF body when there is no Message-ID', () => {
    const a = identityFromBody(Buffer.from('Subject: x\n\nsame\n'));
    expect(a.identity).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(identityFromBody(crlf('Subject: x\n\nsame\n')).identity).toBe(a.identity);
    expect(identityFromBody(Buffer.from('Subject: x\n\nother\n')).identity).not.toBe(a.identity);
  });

  it('finds a folded Message-ID, keeps only its angle-bracketed part, and ignores one in the body', () => {
    expect(findMessageId('Subject: x\r\nMessage-Id:\r\n <folded@x> (comment)')).toBe('<folded@x>');
    expect(identityFromBody(crlf('Subject: x\n\nMessage-ID: <in-body@x>\n')).identity).toMatch(/^sha256:/);
  });

  it('finds the Message-ID of a message larger than the header limit', () => {
    const big = Buffer.concat([crlf('Message-ID: <big@x>\n\n'), Buffer.alloc(3 << 20, 'a')]);
    expect(identityFromBody(big).identity).toBe(`mid:<big@x>:${big.length}`);
  });

  it('gives the same identity however the bytes are cut into chunks', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.boolean(), fc.array(fc.nat({ max: 250 }), { maxLength: 6 }), (body, withId, cuts) => {
        const text = `${withId ? 'Message-ID: <p@q>\n' : ''}Subject: s\n\n${body}`;
        const bytes = Buffer.from(text);
        const builder = new IdentityBuilder();
        let start = 0;
        for (const cut of [...cuts].sort((a, b) => a - b)) {
          const end = Math.min(cut, bytes.length);
          if (end > start) builder.update(bytes.subarray(start, end));
          start = Math.max(start, end);
        }
        builder.update(bytes.subarray(start));
        expect(builder.digest().identity).toBe(identityFromBody(bytes).identity);
      }),
    );
  });
});
