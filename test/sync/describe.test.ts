import { describe, expect, it } from 'vitest';
import { describePlan, planSync, summary, twoWayPolicy, type SavedPair } from '../../src/core/sync/index.js';
import { message as m } from './model.js';

describe('summary and describePlan', () => {
  const saved: SavedPair[] = [
    { left: '1', right: '1700000000.M1P2.host', flags: ['\\Flagged'], identity: 'A' },
    { left: '2', right: 'b', flags: [], identity: 'B' },
    { left: '3', right: 'c', flags: [], identity: 'C' },
    { left: '4', right: 'd', flags: [], identity: 'D' },
    { left: '5', right: 'e', flags: [] },
  ];
  const plan = planSync({
    saved,
    left: [m('1', ['\\Flagged']), m('3'), m('4', ['\\Seen']), m('12', ['\\Seen']), m('13')],
    right: [m('1700000000.M1P2.host', ['\\Seen']), m('b'), m('d', ['\\Seen']), m('x')],
    identities: { left: new Map([['12', 'N'], ['13', 'X']]), right: new Map([['x', 'X']]) },
    policy: twoWayPolicy(),
  });

  it('describes every action, one line each', () => {
    expect(describePlan(plan)).toEqual([
      'flags left 1: +\\Seen -\\Flagged',
      'delete right b',
      'delete left 3',
      'save left 4 / right d with flags \\Seen',
      'forget left 5 / right e',
      'pair left 13 = right x',
      'copy left→right 12 (\\Seen)',
    ]);
  });

  it('counts the actions', () => {
    expect(summary(plan)).toEqual({ copy: { left: 0, right: 1 }, setFlags: { left: 1, right: 0 }, delete: { left: 1, right: 1 }, paired: 1, forgotten: 1 });
  });
});
