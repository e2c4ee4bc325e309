import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crlfSize, CrlfSizeCounter, toCrlf } from '../src/core/crlf.js';

const bytes = fc.array(fc.constantFrom(10, 13, 65, 0x80), { maxLength: 60 }).map((list) => new Uint8Array(list));

describe('CRLF size', () => {
  it('is the length of the CRLF form, however the message is cut into chunks', () => {
    fc.assert(
      fc.property(bytes, fc.array(fc.nat(60), { maxLength: 5 }), (body, cuts) => {
        const counter = new CrlfSizeCounter();
        let from = 0;
        for (const cut of [...cuts].sort((a, b) => a - b).filter((cut) => cut <= body.length)) {
          counter.update(body.subarray(from, cut));
          from = cut;
        }
        counter.update(body.subarray(from));
        expect(counter.size).toBe(toCrlf(body).length);
        expect(crlfSize(body)).toBe(toCrlf(body).length);
      }),
    );
  });

  it('counts a CRLF cut between its CR and its LF once', () => {
    const counter = new CrlfSizeCounter();
    counter.update(new TextEncoder().encode('a\r'));
    counter.update(new TextEncoder().encode('\nb\n'));
    expect(counter.size).toBe('a\r\nb\r\n'.length);
  });
});
