import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { flagDelta, flagsByUse, mergeFlags, sameFlags } from '../../src/core/sync/flags.js';

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

describe('flagsByUse', () => {
  it('orders the flags by how many lists carry them, then by name; a flag twice in one list counts once', () => {
    expect(flagsByUse([['b', 'a', 'a'], ['c', 'b'], ['b', 'c'], ['d']])).toEqual(['b', 'c', 'a', 'd']);
  });

  it('does not depend on the order of the lists or of their flags', () => {
    const lists = fc.array(fc.array(fc.constantFrom('a', 'b', 'c', '$x', '$y', '\\Seen'), { maxLength: 6 }), { maxLength: 12 });
    fc.assert(
      fc.property(lists, (given) => {
        expect(flagsByUse([...given].reverse().map((flags) => [...flags].reverse()))).toEqual(flagsByUse(given));
      }),
    );
  });
});
