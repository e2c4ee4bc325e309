import { describe, expect, it } from 'vitest';
import { flagDelta, mergeFlags, sameFlags } from '../../src/core/sync/flags.js';

describe('mergeFlags', () => {
  it.each([
    ['no side: the base', ['\\Seen'], [], ['\\Seen']],
    ['one side: that side', ['\\Seen'], [['\\Flagged']], ['\\Flagged']],
    ['Dovecot example', ['\\Flagged'], [['\\Flagged', '\\Answered'], ['\\Seen']], ['\\Answered', '\\Seen']],
    ['both add the same', [], [['\\Seen'], ['\\Seen']], ['\\Seen']],
    ['both remove the same', ['\\Seen'], [[], []], []],
    ['one removes, the other keeps', ['\\Seen', '$Work'], [['\\Seen'], ['\\Seen', '$Work']], ['\\Seen']],
    ['no change', ['b', 'a'], [['a', 'b'], ['b', 'a']], ['a', 'b']],
    ['empty base: the union', [], [['a'], ['b']], ['a', 'b']],
  ])('%s', (_name, base, sides, merged) => {
    expect(mergeFlags(base, sides)).toEqual(merged);
    expect(mergeFlags(base, [...sides].reverse())).toEqual(merged);
  });
});

describe('flagDelta and sameFlags', () => {
  it('computes what to add and remove', () => {
    expect(flagDelta(['\\Seen', 'b'], ['a', 'b', 'a'])).toEqual({ add: ['a'], remove: ['\\Seen'] });
  });

  it('compares as sets', () => {
    expect(sameFlags(['a', 'b'], ['b', 'a'])).toBe(true);
    expect(sameFlags(['a', 'a'], ['a'])).toBe(true);
    expect(sameFlags(['a', 'a'], ['a', 'b'])).toBe(false);
    expect(sameFlags([], ['a'])).toBe(false);
  });
});
