import { describe, expect, it } from 'vitest';
import { needIdentities, type SavedPair } from '../../src/core/sync/index.js';
import { message as m } from './model.js';

const pairs: SavedPair[] = [
  { left: '1', right: 'a', flags: [], identity: 'A' },
  { left: '2', right: 'b', flags: [] },
];

describe('needIdentities', () => {
  it.each<[string, SavedPair[], string[], string[], { left: string[]; right: string[] }]>([
    ['a first mirror into an empty folder', [], ['1', '2', '3'], [], { left: [], right: [] }],
    ['new messages on one side only', pairs, ['1', '2', '3'], ['a', 'b'], { left: [], right: [] }],
    ['new messages on the right only', pairs, ['1', '2'], ['a', 'b', 'c'], { left: [], right: [] }],
    ['nothing new', pairs, ['1', '2'], ['a', 'b'], { left: [], right: [] }],
    ['a first run against two populated sides', [], ['1', '2'], ['a'], { left: ['1', '2'], right: ['a'] }],
    ['new messages on both sides', pairs, ['1', '2', '3'], ['a', 'b', 'c'], { left: ['3'], right: ['c'] }],
    // A pair whose left message vanished may find it, stored again, among the new left messages...
    ['a deletion and a new message on the same side', pairs, ['2', '3'], ['a', 'b'], { left: ['3'], right: [] }],
    // ... and a pair without a saved identity is looked for by its surviving message's.
    ['idem, for a pair without identity', pairs, ['1', '3'], ['a', 'b'], { left: ['3'], right: ['b'] }],
    ['a deletion with nothing new', pairs, ['2'], ['a', 'b'], { left: [], right: [] }],
    [
      'a UIDVALIDITY change on the left',
      [{ right: 'a', flags: [], identity: 'A' }, { right: 'b', flags: [] }],
      ['7', '8'],
      ['a', 'b'],
      { left: ['7', '8'], right: ['b'] },
    ],
    // Two pairs of one identity (duplicates): their surviving messages are identified too, for their dates.
    [
      'a UIDVALIDITY change on the left, with duplicates',
      [{ right: 'a', flags: [], identity: 'D' }, { right: 'b', flags: [], identity: 'D' }, { right: 'c', flags: [], identity: 'C' }],
      ['7', '8', '9'],
      ['a', 'b', 'c'],
      { left: ['7', '8', '9'], right: ['a', 'b'] },
    ],
  ])('%s', (_name, saved, left, right, expected) => {
    expect(needIdentities(saved, left.map((id) => m(id)), right.map((id) => m(id)))).toEqual(expected);
  });
});
