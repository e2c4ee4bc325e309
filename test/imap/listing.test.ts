import type { FetchMessageObject } from 'imapflow';
import { describe, expect, it } from 'vitest';
import { ListingBuilder } from '../../src/core/imap/listing.js';

const DATE = new Date(Date.UTC(2024, 0, 15));
/** A FETCH row; `size` null: an unsolicited FETCH (flags only). */
const row = (seq: number, uid: number | undefined, flags: string[], size: number | null = 100): FetchMessageObject =>
  ({ seq, ...(uid === undefined ? {} : { uid }), flags: new Set(flags), ...(size === null ? {} : { size }), internalDate: DATE }) as unknown as FetchMessageObject;
const built = (rows: FetchMessageObject[]) => {
  const builder = new ListingBuilder();
  for (const r of rows) builder.add(r);
  return builder;
};

describe('ListingBuilder (a FETCH listing, row by row)', () => {
  it('lists each message once, sorted by UID, and messages with the same flags share one list', () => {
    const { messages, skipped } = built([row(1, 10, ['\\Seen']), row(3, 30, ['\\Seen', '\\Recent']), row(2, 20, []), row(4, 40, ['\\Seen'])]).listing();
    expect(messages.map((m) => [m.id, m.flags, m.size, m.internalDate])).toEqual([
      ['10', ['\\Seen'], 100, DATE.getTime()],
      ['20', [], 100, DATE.getTime()],
      ['30', ['\\Seen'], 100, DATE.getTime()],
      ['40', ['\\Seen'], 100, DATE.getTime()],
    ]);
    expect(messages[0]!.flags).toBe(messages[2]!.flags);
    expect(messages[0]!.flags).toBe(messages[3]!.flags);
    expect(skipped).toEqual([]);
  });

  it('skips a UID given to two messages and rows without a usable UID, keeps a row sent twice once, and ignores unsolicited FETCHes', () => {
    const builder = built([row(1, 5, []), row(2, 7, []), row(3, 7, []), row(4, undefined, []), row(5, 0, []), row(1, 5, []), row(6, 9, ['\\Flagged'], null)]);
    const { messages, skipped } = builder.listing();
    expect(messages.map((m) => m.id)).toEqual(['5']);
    expect(skipped.map((s) => s.id)).toEqual([undefined, '0', '7']);
    expect(skipped[2]!.reason).toMatch(/UID 7 to 2 messages \(sequence numbers 2, 3\)/);
  });

  it("counts the messages 1..EXISTS that no row answered for, whatever their UID", () => {
    const builder = built([row(1, 5, []), row(2, undefined, []), row(2, undefined, []), row(4, 8, []), row(9, 12, []), row(3, 7, [], null)]);
    expect(builder.unlisted(4)).toBe(1);
    expect(builder.unlisted(3)).toBe(1);
    expect(built([]).unlisted(0)).toBe(0);
  });
});
