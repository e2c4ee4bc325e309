import { describe, expect, it } from 'vitest';
import type { Side } from '../../src/api/types.js';
import {
  mirrorPolicy,
  migratePolicy,
  parseSyncPolicy,
  planSync,
  twoWayPolicy,
  type PlanStep,
  type SavedPair,
  type SyncPlan,
} from '../../src/core/sync/index.js';
import { message as m, World } from './model.js';

const SEEN = '\\Seen';
const FLAGGED = '\\Flagged';
const ANSWERED = '\\Answered';
const DELETED = '\\Deleted';

const full = twoWayPolicy();
const mirror = mirrorPolicy();
const push = parseSyncPolicy(['push']);
const none = parseSyncPolicy(['none']);
const newOnly = parseSyncPolicy(['new']);
const noGone = parseSyncPolicy(['new,flags']);

function ids(left: Record<string, string> = {}, right: Record<string, string> = {}) {
  return { left: new Map(Object.entries(left)), right: new Map(Object.entries(right)) };
}

function step(fields: Partial<PlanStep>): PlanStep {
  return { setFlags: [], delete: [], ...fields };
}

function actionsOn(plan: SyncPlan, side: Side): unknown[] {
  return plan.steps.flatMap((s) => [
    ...(s.copy && s.copy.from !== side ? [s.copy] : []),
    ...s.setFlags.filter((change) => change.side === side),
    ...s.delete.filter((ref) => ref.side === side),
  ]);
}

describe('planSync: pairs and flags', () => {
  const pair: SavedPair = { left: '1', right: 'a', flags: [FLAGGED], identity: 'I' };

  it('plans nothing for a pair that did not change', () => {
    for (const policy of [full, mirror, push, none, newOnly, noGone]) {
      expect(planSync({ saved: [pair], left: [m('1', [FLAGGED])], right: [m('a', [FLAGGED])], policy }).steps).toEqual([]);
    }
  });

  it('merges flags as deltas (Dovecot: server adds \\Answered, laptop adds \\Seen and removes \\Flagged)', () => {
    const plan = planSync({ saved: [pair], left: [m('1', [FLAGGED, ANSWERED])], right: [m('a', [SEEN])], policy: full });
    expect(plan.steps).toEqual([
      step({
        was: pair,
        becomes: { left: '1', right: 'a', flags: [ANSWERED, SEEN], identity: 'I' },
        setFlags: [
          { side: 'left', id: '1', add: [SEEN], remove: [FLAGGED] },
          { side: 'right', id: 'a', add: [ANSWERED], remove: [] },
        ],
      }),
    ]);
  });

  it('merges keywords like flags', () => {
    const saved = { left: '1', right: 'a', flags: ['$Work'] };
    const plan = planSync({ saved: [saved], left: [m('1', ['$Work', '$Todo'])], right: [m('a', [])], policy: full });
    expect(plan.steps[0]!.becomes!.flags).toEqual(['$Todo']);
    expect(plan.steps[0]!.setFlags).toEqual([
      { side: 'left', id: '1', add: [], remove: ['$Work'] },
      { side: 'right', id: 'a', add: ['$Todo'], remove: [] },
    ]);
  });

  it('saves the flags without touching a message when both sides made the same change', () => {
    const plan = planSync({ saved: [pair], left: [m('1', [SEEN])], right: [m('a', [SEEN])], policy: full });
    expect(plan.steps).toEqual([step({ was: pair, becomes: { ...pair, flags: [SEEN] } })]);
  });

  it.each([
    ['full, change on the left', full, [SEEN], [FLAGGED], [{ side: 'right', id: 'a', add: [SEEN], remove: [FLAGGED] }], [SEEN]],
    ['full, change on the right', full, [FLAGGED], [SEEN], [{ side: 'left', id: '1', add: [SEEN], remove: [FLAGGED] }], [SEEN]],
    ['mirror, change on the left', mirror, [SEEN], [FLAGGED], [{ side: 'right', id: 'a', add: [SEEN], remove: [FLAGGED] }], [SEEN]],
    // The mirror's right side follows the left: a local change is overwritten.
    ['mirror, local change on the right', mirror, [FLAGGED], [SEEN], [{ side: 'right', id: 'a', add: [FLAGGED], remove: [SEEN] }], [FLAGGED]],
    ['mirror, both changed', mirror, [FLAGGED, ANSWERED], [SEEN], [{ side: 'right', id: 'a', add: [ANSWERED, FLAGGED], remove: [SEEN] }], [ANSWERED, FLAGGED]],
    ['push, change on the right', push, [FLAGGED], [SEEN], [{ side: 'left', id: '1', add: [SEEN], remove: [FLAGGED] }], [SEEN]],
    ['push, change on the left is overwritten', push, [SEEN], [FLAGGED], [{ side: 'left', id: '1', add: [FLAGGED], remove: [SEEN] }], [FLAGGED]],
  ] as const)('flags follow the policy: %s', (_name, policy, left, right, setFlags, saved) => {
    const plan = planSync({ saved: [pair], left: [m('1', [...left])], right: [m('a', [...right])], policy });
    expect(plan.steps).toEqual([step({ was: pair, becomes: { ...pair, flags: [...saved] }, setFlags: setFlags.map((c) => ({ ...c, add: [...c.add], remove: [...c.remove] })) })]);
  });

  it('without `flags` either way, touches no flag and keeps the saved flags, so the changes sync once flags are enabled', () => {
    for (const policy of [none, newOnly, parseSyncPolicy(['new,gone'])]) {
      expect(planSync({ saved: [pair], left: [m('1', [SEEN])], right: [m('a', [ANSWERED, FLAGGED])], policy }).steps).toEqual([]);
    }
    const later = planSync({ saved: [pair], left: [m('1', [SEEN])], right: [m('a', [ANSWERED, FLAGGED])], policy: full });
    expect(later.steps[0]!.becomes!.flags).toEqual([ANSWERED, SEEN]);
  });
});

describe('planSync: new messages', () => {
  it.each([
    ['full', full, 'left', true],
    ['full', full, 'right', true],
    ['mirror', mirror, 'left', true],
    ['mirror', mirror, 'right', false],
    ['migrate', migratePolicy(), 'left', true],
    ['migrate', migratePolicy(), 'right', false],
    ['push', push, 'left', false],
    ['push', push, 'right', true],
    ['new', newOnly, 'right', true],
    ['pull-flags', parseSyncPolicy(['pull-flags']), 'left', false],
    ['none', none, 'left', false],
  ] as const)('%s: a new message on the %s is copied: %s', (_name, policy, side: Side, copied) => {
    const input = { saved: [], left: [] as ReturnType<typeof m>[], right: [] as ReturnType<typeof m>[], policy };
    input[side] = [m('7', [SEEN, SEEN])];
    const plan = planSync(input);
    if (!copied) return expect(plan.steps).toEqual([]);
    expect(plan.steps).toEqual([step({ becomes: { [side]: '7', flags: [SEEN] }, copy: { from: side, id: '7', flags: [SEEN] } })]);
  });

  it('gives copies with the same flags one set of flag lists, whatever order each listed them in', () => {
    const plan = planSync({ saved: [], left: [m('1', [SEEN, FLAGGED]), m('2', [FLAGGED, SEEN]), m('3', [SEEN, FLAGGED]), m('4')], right: [], policy: mirror });
    const [a, b, c, d] = plan.steps;
    expect(a!.copy!.flags).toEqual([FLAGGED, SEEN]);
    expect(c!.copy!.flags).toBe(a!.copy!.flags);
    expect(c!.becomes!.flags).toBe(a!.becomes!.flags);
    // Listed in another order: the same flags, a list of its own (the key is the listing's order, not the set).
    expect(b!.copy!.flags).toEqual(a!.copy!.flags);
    expect(d!.copy!.flags).toEqual([]);
  });

  it('carries the identity when it is known', () => {
    const plan = planSync({ saved: [], left: [m('7')], right: [m('x')], identities: ids({ 7: 'I7' }, { x: 'IX' }), policy: full });
    expect(plan.steps).toEqual([
      step({ becomes: { left: '7', flags: [], identity: 'I7' }, copy: { from: 'left', id: '7', flags: [], identity: 'I7' } }),
      step({ becomes: { right: 'x', flags: [], identity: 'IX' }, copy: { from: 'right', id: 'x', flags: [], identity: 'IX' } }),
    ]);
  });

  it('pairs unpaired messages with the same identity instead of copying them; first-run flags are the union', () => {
    const plan = planSync({
      saved: [],
      left: [m('1', [SEEN]), m('2')],
      right: [m('a', [FLAGGED]), m('b')],
      identities: ids({ 1: 'I', 2: 'J' }, { a: 'I', b: 'K' }),
      policy: full,
    });
    expect(plan.steps).toEqual([
      step({ becomes: { left: '1', right: 'a', flags: [FLAGGED, SEEN], identity: 'I' }, setFlags: [{ side: 'left', id: '1', add: [FLAGGED], remove: [] }, { side: 'right', id: 'a', add: [SEEN], remove: [] }] }),
      step({ becomes: { left: '2', flags: [], identity: 'J' }, copy: { from: 'left', id: '2', flags: [], identity: 'J' } }),
      step({ becomes: { right: 'b', flags: [], identity: 'K' }, copy: { from: 'right', id: 'b', flags: [], identity: 'K' } }),
    ]);
  });

  it('mirror: a first-run pair takes the left flags', () => {
    const plan = planSync({ saved: [], left: [m('1', [SEEN])], right: [m('a', [FLAGGED])], identities: ids({ 1: 'I' }, { a: 'I' }), policy: mirror });
    expect(plan.steps).toEqual([step({ becomes: { left: '1', right: 'a', flags: [SEEN], identity: 'I' }, setFlags: [{ side: 'right', id: 'a', add: [SEEN], remove: [FLAGGED] }] })]);
  });

  it('pairs duplicates one to one, lowest ids first, and copies the extra ones', () => {
    const plan = planSync({
      saved: [],
      left: [m('10'), m('9'), m('100')],
      right: [m('b'), m('a')],
      identities: ids({ 9: 'D', 10: 'D', 100: 'D' }, { a: 'D', b: 'D' }),
      policy: full,
    });
    expect(plan.steps.map((s) => s.becomes)).toEqual([
      { left: '9', right: 'a', flags: [], identity: 'D' },
      { left: '10', right: 'b', flags: [], identity: 'D' },
      { left: '100', flags: [], identity: 'D' },
    ]);
    expect(plan.steps[2]!.copy).toEqual({ from: 'left', id: '100', flags: [], identity: 'D' });
  });

  it('pairs duplicates with the same flags first, whatever their ids: pairing again swaps no flags', () => {
    // A folder found again after its UIDVALIDITY changed: the copies were stored on the right in another order.
    const plan = planSync({
      saved: [],
      left: [m('9', [SEEN]), m('10', []), m('11', [FLAGGED])],
      right: [m('a', []), m('b', [FLAGGED]), m('c', [SEEN])],
      identities: ids({ 9: 'D', 10: 'D', 11: 'D' }, { a: 'D', b: 'D', c: 'D' }),
      policy: full,
    });
    expect(plan.steps.map((s) => s.becomes)).toEqual(
      expect.arrayContaining([
        { left: '9', right: 'c', flags: [SEEN], identity: 'D' },
        { left: '10', right: 'a', flags: [], identity: 'D' },
        { left: '11', right: 'b', flags: [FLAGGED], identity: 'D' },
      ]),
    );
    expect(plan.steps.flatMap((s) => s.setFlags)).toEqual([]);
  });

  it('pairs a copy with the duplicate of its date and flags, even when one side holds a single copy: a rerun after a crash copies the other duplicate with its own date', () => {
    // Two source copies of one mail (same Message-ID and size) with their own dates and flags; a run copied '2' and was
    // killed before committing the pair. The lower id must not take that copy: '2' would then be copied again with its
    // date, and '1' be left with '2's date on the target.
    const at = (message: ReturnType<typeof m>, hour: number) => ({ ...message, internalDate: Date.UTC(2024, 0, 1, hour) });
    const plan = planSync({
      saved: [],
      left: [at(m('1', [FLAGGED, SEEN]), 18), at(m('2', [DELETED, SEEN]), 7)],
      right: [at(m('a', [DELETED, SEEN]), 7)],
      identities: ids({ 1: 'D', 2: 'D' }, { a: 'D' }),
      policy: migratePolicy(),
    });
    expect(plan.steps.map((s) => s.becomes)).toEqual(
      expect.arrayContaining([
        { left: '2', right: 'a', flags: [DELETED, SEEN], identity: 'D' },
        { left: '1', flags: [FLAGGED, SEEN], identity: 'D' },
      ]),
    );
    expect(plan.steps.flatMap((s) => s.setFlags)).toEqual([]);
  });

  it('pairs duplicates by date before flags: a copy whose source changed flags since stays with its source', () => {
    const at = (message: ReturnType<typeof m>, hour: number) => ({ ...message, internalDate: Date.UTC(2024, 0, 1, hour) + 400 });
    const plan = planSync({
      saved: [],
      left: [at(m('1', []), 18), at(m('2', [SEEN]), 7)],
      right: [{ ...m('a', []), internalDate: Date.UTC(2024, 0, 1, 7) }],
      identities: ids({ 1: 'D', 2: 'D' }, { a: 'D' }),
      policy: migratePolicy(),
    });
    expect(plan.steps.map((s) => s.becomes)).toEqual(
      expect.arrayContaining([
        { left: '2', right: 'a', flags: [SEEN], identity: 'D' },
        { left: '1', flags: [], identity: 'D' },
      ]),
    );
  });

  it('finds duplicates again by their date before their flags: a flag changed on a copy since the last run is not lost', () => {
    // The right side's UIDVALIDITY changed (its ids were forgotten) and, since the last run, another client flagged 'a'
    // (the copy of '1', 07:00) and unflagged 'b' (the copy of '2', 18:00): by flags alone '1' would find 'b' and '2'
    // find 'a', and neither change would be seen.
    const at = (message: ReturnType<typeof m>, hour: number) => ({ ...message, internalDate: Date.UTC(2024, 0, 1, hour) });
    const saved: SavedPair[] = [
      { left: '1', flags: [], identity: 'D' },
      { left: '2', flags: [FLAGGED], identity: 'D' },
    ];
    const plan = planSync({
      saved,
      left: [at(m('1', []), 7), at(m('2', [FLAGGED]), 18)],
      right: [at(m('a', [FLAGGED]), 7), at(m('b', []), 18)],
      identities: ids({}, { a: 'D', b: 'D' }),
      policy: full,
    });
    expect(plan.steps.map((s) => s.becomes)).toEqual(
      expect.arrayContaining([
        { left: '1', right: 'a', flags: [FLAGGED], identity: 'D' },
        { left: '2', right: 'b', flags: [], identity: 'D' },
      ]),
    );
    expect(actionsOn(plan, 'left')).toEqual(
      expect.arrayContaining([
        { side: 'left', id: '1', add: [FLAGGED], remove: [] },
        { side: 'left', id: '2', add: [], remove: [FLAGGED] },
      ]),
    );
    expect(plan.steps.some((s) => s.copy)).toBe(false);
  });

  it('a vanished message stored again among duplicates rejoins its pair by date: the other duplicate is copied with its own', () => {
    // 'a' (07:00) was deleted and stored again as 'y'; 'x' is another copy of the mail, of 18:00, never paired.
    const at = (message: ReturnType<typeof m>, hour: number) => ({ ...message, internalDate: Date.UTC(2024, 0, 1, hour) });
    const plan = planSync({
      saved: [{ left: '1', right: 'a', flags: [SEEN], identity: 'D' }],
      left: [at(m('1', [SEEN]), 7)],
      right: [at(m('x', [SEEN]), 18), at(m('y', [SEEN]), 7)],
      identities: ids({}, { x: 'D', y: 'D' }),
      policy: full,
    });
    expect(plan.steps.map((s) => s.becomes)).toContainEqual({ left: '1', right: 'y', flags: [SEEN], identity: 'D' });
    expect(plan.steps.filter((s) => s.copy).map((s) => s.copy!.id)).toEqual(['x']);
  });

  it('finds duplicates again by identity with the flags they were paired with: a side whose ids changed swaps no flags', () => {
    // The left side's UIDVALIDITY changed: its ids were forgotten, the pairs kept their right side and flags.
    const saved: SavedPair[] = [
      { right: 'a', flags: [SEEN], identity: 'D' },
      { right: 'b', flags: [], identity: 'D' },
      { right: 'c', flags: [FLAGGED], identity: 'D' },
    ];
    const plan = planSync({
      saved,
      left: [m('9', []), m('10', [FLAGGED]), m('11', [SEEN])],
      right: [m('a', [SEEN]), m('b', []), m('c', [FLAGGED])],
      identities: ids({ 9: 'D', 10: 'D', 11: 'D' }),
      policy: mirror,
    });
    expect(plan.steps.map((s) => s.becomes)).toEqual(
      expect.arrayContaining([
        { left: '11', right: 'a', flags: [SEEN], identity: 'D' },
        { left: '9', right: 'b', flags: [], identity: 'D' },
        { left: '10', right: 'c', flags: [FLAGGED], identity: 'D' },
      ]),
    );
    expect(plan.steps.flatMap((s) => s.setFlags)).toEqual([]);
  });

  it('copies a new duplicate of a paired message', () => {
    const saved = [{ left: '1', right: 'a', flags: [], identity: 'I' }];
    const plan = planSync({ saved, left: [m('1'), m('2')], right: [m('a')], identities: ids({ 2: 'I' }), policy: full });
    expect(plan.steps).toEqual([step({ becomes: { left: '2', flags: [], identity: 'I' }, copy: { from: 'left', id: '2', flags: [], identity: 'I' } })]);
  });
});

describe('planSync: gone', () => {
  const pair: SavedPair = { left: '1', right: 'a', flags: [SEEN], identity: 'I' };

  it.each([
    ['full', full, 'right', true],
    ['full', full, 'left', true],
    ['mirror', mirror, 'left', true],
    ['mirror', mirror, 'right', false],
    ['push', push, 'right', true],
    ['push', push, 'left', false],
    ['new,flags', noGone, 'left', false],
    ['none', none, 'left', false],
  ] as const)('%s: deleted on the %s, deleted on the other side: %s', (_name, policy, deletedOn: Side, propagated) => {
    const input = { saved: [pair], left: [m('1', [SEEN])], right: [m('a', [SEEN])], policy };
    input[deletedOn] = [];
    const survivor = deletedOn === 'left' ? { side: 'right' as const, id: 'a' } : { side: 'left' as const, id: '1' };
    const plan = planSync(input);
    // Not propagated: the pair keeps the deleted id (an orphan), so nothing is planned and nothing is copied back.
    expect(plan.steps).toEqual(propagated ? [step({ was: pair, delete: [survivor] })] : []);
  });

  it('deletion wins over a flag change on the other side', () => {
    const plan = planSync({ saved: [pair], left: [], right: [m('a', [FLAGGED])], policy: full });
    expect(plan.steps).toEqual([step({ was: pair, delete: [{ side: 'right', id: 'a' }] })]);
  });

  it('forgets a pair deleted on both sides', () => {
    expect(planSync({ saved: [pair], left: [], right: [], policy: full }).steps).toEqual([step({ was: pair })]);
  });

  it('an orphan survives later runs and is deleted with its survivor', () => {
    const orphan = { left: '1', right: 'a', flags: [], identity: 'I' };
    expect(planSync({ saved: [orphan], left: [m('1', [SEEN])], right: [], policy: mirror }).steps).toEqual([]);
    expect(planSync({ saved: [orphan], left: [], right: [], policy: mirror }).steps).toEqual([step({ was: orphan })]);
  });

  it('a message deleted and stored again (same identity, new id) rejoins its pair instead of being deleted and copied', () => {
    const plan = planSync({ saved: [pair], left: [m('5', [SEEN, FLAGGED])], right: [m('a', [SEEN])], identities: ids({ 5: 'I' }), policy: full });
    expect(plan.steps).toEqual([
      step({ was: pair, becomes: { left: '5', right: 'a', flags: [FLAGGED, SEEN], identity: 'I' }, setFlags: [{ side: 'right', id: 'a', add: [FLAGGED], remove: [] }] }),
    ]);
  });

  it('migrate: a message that left the source and came back is not copied twice', () => {
    const world = new World();
    world.left.add('I', []);
    world.sync(migratePolicy());
    world.left.messages.clear();
    world.sync(migratePolicy());
    world.left.add('I', [SEEN]);
    world.sync(migratePolicy());
    expect([...world.right.messages.values()]).toEqual([{ identity: 'I', flags: [SEEN] }]);
    expect(world.plan(migratePolicy()).plan.steps).toEqual([]);
  });

  it('a message stored again while the other side changed UIDVALIDITY rejoins its pair', () => {
    const policy = parseSyncPolicy(['push-new']);
    const world = new World();
    world.right.add('I', []);
    world.sync(policy);
    world.right.messages.clear();
    world.right.add('I', []);
    world.invalidate('left');
    world.sync(policy);
    expect(world.left.identities()).toEqual(['I']);
    expect(world.plan(policy).plan.steps).toEqual([]);
  });

  it('a message stored again that would not be copied stays unpaired', () => {
    const orphan = { left: '1', right: 'a', flags: [], identity: 'I' };
    const plan = planSync({ saved: [orphan], left: [m('1')], right: [m('z')], identities: ids({}, { z: 'I' }), policy: mirror });
    expect(plan.steps).toEqual([]);
  });

  it('an unpaired duplicate does not join an orphan (it would be expunged with it, one run after the other)', () => {
    const world = new World();
    world.right.add('I', []);
    world.right.add('I', []);
    world.left.add('I', [DELETED]);
    const policy = parseSyncPolicy(['pull-flags'], 'right');
    world.sync(policy);
    expect(world.right.identities()).toEqual(['I']);
    expect(world.plan(policy).plan.steps).toEqual([]);
  });
});

describe('planSync: UIDVALIDITY change', () => {
  const saved: SavedPair[] = [
    { right: 'a', flags: [SEEN], identity: 'A' },
    { right: 'b', flags: [], identity: 'B' },
  ];

  it('re-pairs by identity with the saved flags as base, copying nothing', () => {
    const plan = planSync({
      saved,
      left: [m('101', [SEEN, FLAGGED]), m('102')],
      right: [m('a', []), m('b')],
      identities: ids({ 101: 'A', 102: 'B' }),
      policy: full,
    });
    expect(plan.steps).toEqual([
      // The right removed \Seen while the left added \Flagged.
      step({
        was: saved[0],
        becomes: { left: '101', right: 'a', flags: [FLAGGED], identity: 'A' },
        setFlags: [{ side: 'left', id: '101', add: [], remove: [SEEN] }, { side: 'right', id: 'a', add: [FLAGGED], remove: [] }],
      }),
      step({ was: saved[1], becomes: { left: '102', right: 'b', flags: [], identity: 'B' } }),
    ]);
  });

  it('never deletes on the evidence of a message not found again: the survivor counts as new', () => {
    const plan = planSync({ saved, left: [m('101', [SEEN])], right: [m('a', [SEEN]), m('b')], identities: ids({ 101: 'A' }), policy: full });
    expect(plan.steps).toEqual([
      step({ was: saved[0], becomes: { left: '101', right: 'a', flags: [SEEN], identity: 'A' } }),
      step({ was: saved[1], becomes: { right: 'b', flags: [], identity: 'B' }, copy: { from: 'right', id: 'b', flags: [], identity: 'B' } }),
    ]);
    // Under mirror the survivor cannot go left: the pair is forgotten, the local message stays.
    const mirrored = planSync({ saved, left: [m('101', [SEEN])], right: [m('a', [SEEN]), m('b')], identities: ids({ 101: 'A' }), policy: mirror });
    expect(mirrored.steps[1]).toEqual(step({ was: saved[1] }));
  });

  it('finds a pair that saved no identity by its surviving message', () => {
    const bare = { right: 'a', flags: [] };
    const plan = planSync({ saved: [bare], left: [m('101')], right: [m('a')], identities: ids({ 101: 'A' }, { a: 'A' }), policy: full });
    expect(plan.steps).toEqual([step({ was: bare, becomes: { left: '101', right: 'a', flags: [], identity: 'A' } })]);
  });

  it('pairs duplicates one to one across a UIDVALIDITY change', () => {
    const world = new World();
    for (let i = 0; i < 3; i++) world.left.add('D', []);
    world.right.add('D', []);
    world.sync(full);
    world.invalidate('left');
    const plan = world.sync(full);
    expect(plan.steps.filter((s) => s.copy)).toEqual([]);
    expect(world.left.identities()).toEqual(['D', 'D', 'D']);
    expect(world.right.identities()).toEqual(['D', 'D', 'D']);
    expect(world.sync(full).steps).toEqual([]);
  });
});

describe('planSync: \\Deleted and expunge', () => {
  const pair: SavedPair = { left: '1', right: 'a', flags: [], identity: 'I' };
  const both = parseSyncPolicy(['full'], 'both');

  it.each([
    ['full, expunge both', both, [{ side: 'left', id: '1' }, { side: 'right', id: 'a' }], undefined, []],
    // Expunged on the left, the deletion propagates per `gone`.
    ['full, expunge left', parseSyncPolicy(['full'], 'left'), [{ side: 'left', id: '1' }, { side: 'right', id: 'a' }], undefined, []],
    // Without `gone` toward the right, the right keeps the message, marked \Deleted, as an orphan.
    ['new,flags, expunge left', parseSyncPolicy(['new,flags'], 'left'), [{ side: 'left', id: '1' }], { ...pair, flags: [DELETED] }, [{ side: 'right', id: 'a', add: [DELETED], remove: [] }]],
    ['full, no expunge', full, [], { ...pair, flags: [DELETED] }, [{ side: 'right', id: 'a', add: [DELETED], remove: [] }]],
  ] as const)('%s: \\Deleted set on the left', (_name, policy, deleted, becomes, setFlags) => {
    const plan = planSync({ saved: [pair], left: [m('1', [DELETED])], right: [m('a')], policy });
    expect(plan.steps).toEqual([step({ was: pair, ...(becomes && { becomes: { ...becomes, flags: [...becomes.flags] } }), delete: [...deleted], setFlags: setFlags.map((c) => ({ ...c, add: [...c.add], remove: [...c.remove] })) })]);
  });

  it('an orphan left by an expunge stays one', () => {
    const world = new World();
    world.left.add('I', []);
    world.sync(full);
    const [id] = world.left.messages.keys();
    world.left.messages.get(id!)!.flags = [DELETED];
    const policy = parseSyncPolicy(['new,flags'], 'left');
    world.sync(policy);
    expect(world.left.identities()).toEqual([]);
    expect([...world.right.messages.values()]).toEqual([{ identity: 'I', flags: [DELETED] }]);
    expect(world.sync(policy).steps).toEqual([]);
  });

  it.each([
    ['expunge on the source: deleted there, not copied', parseSyncPolicy(['full'], 'left'), [step({ delete: [{ side: 'left', id: '7' }] })]],
    ['expunge on the target: not copied', parseSyncPolicy(['full'], 'right'), []],
    ['no expunge: copied with \\Deleted', full, [step({ becomes: { left: '7', flags: [DELETED] }, copy: { from: 'left', id: '7', flags: [DELETED] } })]],
  ])('a new message flagged \\Deleted, %s', (_name, policy, steps) => {
    expect(planSync({ saved: [], left: [m('7', [DELETED])], right: [], policy }).steps).toEqual(steps);
  });

  it('expunges an orphan flagged \\Deleted on its side', () => {
    const orphan = { left: '1', right: 'a', flags: [], identity: 'I' };
    const plan = planSync({ saved: [orphan], left: [m('1', [DELETED])], right: [], policy: parseSyncPolicy(['pull'], 'left') });
    expect(plan.steps).toEqual([step({ was: orphan, delete: [{ side: 'left', id: '1' }] })]);
  });
});

describe('planSync: mirror never acts on the left', () => {
  const pair: SavedPair = { left: '1', right: 'a', flags: [SEEN], identity: 'I' };
  const scenarios: [string, Parameters<typeof planSync>[0]][] = [
    ['new on the right', { saved: [], left: [], right: [m('a')], policy: mirror }],
    ['deleted on the right', { saved: [pair], left: [m('1', [SEEN])], right: [], policy: mirror }],
    ['flags changed on the right', { saved: [pair], left: [m('1', [SEEN])], right: [m('a', [FLAGGED, DELETED])], policy: mirror }],
    ['\\Deleted on the left', { saved: [pair], left: [m('1', [DELETED])], right: [m('a', [SEEN])], policy: parseSyncPolicy(['pull'], 'right') }],
    ['first run', { saved: [], left: [m('1', [SEEN])], right: [m('a', [FLAGGED]), m('b')], identities: ids({ 1: 'I' }, { a: 'I', b: 'J' }), policy: mirror }],
    ['UIDVALIDITY change on the right', { saved: [{ left: '1', flags: [], identity: 'I' }], left: [m('1', [SEEN])], right: [m('z')], identities: ids({}, { z: 'I' }), policy: mirror }],
    ['UIDVALIDITY change on the left, message gone', { saved: [{ right: 'a', flags: [], identity: 'I' }], left: [], right: [m('a')], policy: mirror }],
  ];
  it.each(scenarios)('%s', (_name, input) => {
    expect(actionsOn(planSync(input), 'left')).toEqual([]);
  });
});

describe('planSync: flags a side cannot hold', () => {
  const keywords = Array.from({ length: 30 }, (_, i) => `$k${String(i).padStart(2, '0')}`);
  const tooMany = new Set(keywords.slice(26));
  const cannotHold = { right: tooMany };

  it('a copy carries only the flags its target can hold; the pair records the others as not held there', () => {
    const plan = planSync({ saved: [], left: [m('1', [SEEN, ...keywords])], right: [], policy: full, cannotHold });
    expect(plan.steps).toEqual([
      step({
        copy: { from: 'left', id: '1', flags: [...keywords.slice(0, 26), SEEN].sort() },
        becomes: { left: '1', flags: [...keywords, SEEN].sort(), notHeld: { right: keywords.slice(26) } },
      }),
    ]);
  });

  it('the flags it could not hold are not removed from the other side, nor sent again: nothing to do', () => {
    const saved: SavedPair[] = [{ left: '1', right: 'a', flags: [...keywords], notHeld: { right: keywords.slice(26) } }];
    expect(planSync({ saved, left: [m('1', keywords)], right: [m('a', keywords.slice(0, 26))], policy: full, cannotHold }).steps).toEqual([]);
    expect(planSync({ saved, left: [m('1', keywords)], right: [m('a', keywords.slice(0, 26))], policy: mirror, cannotHold }).steps).toEqual([]);
  });

  it('a flag changed on the side that can hold it syncs; one removed where it was held is removed', () => {
    const saved: SavedPair[] = [{ left: '1', right: 'a', flags: [...keywords], notHeld: { right: keywords.slice(26) } }];
    const right = keywords.slice(1, 26);
    const plan = planSync({ saved, left: [m('1', [...keywords.slice(0, 29)])], right: [m('a', right)], policy: full, cannotHold });
    expect(plan.steps).toEqual([
      step({
        was: saved[0]!,
        becomes: { left: '1', right: 'a', flags: keywords.slice(1, 29), notHeld: { right: keywords.slice(26, 29) } },
        setFlags: [{ side: 'left', id: '1', add: [], remove: [keywords[0]!] }],
      }),
    ]);
  });

  it('a pair saved as if the side held everything (an older state) is corrected, and nothing is removed', () => {
    const saved: SavedPair[] = [{ left: '1', right: 'a', flags: [...keywords] }];
    const plan = planSync({ saved, left: [m('1', keywords)], right: [m('a', keywords.slice(0, 26))], policy: full, cannotHold });
    expect(plan.steps).toEqual([step({ was: saved[0]!, becomes: { left: '1', right: 'a', flags: [...keywords], notHeld: { right: keywords.slice(26) } } })]);
  });

  it('a flag freed later (the side can hold it now) is set there, not removed from the other side', () => {
    const saved: SavedPair[] = [{ left: '1', right: 'a', flags: [...keywords], notHeld: { right: keywords.slice(26) } }];
    const freed = { right: new Set(keywords.slice(27)) };
    const plan = planSync({ saved, left: [m('1', keywords)], right: [m('a', keywords.slice(0, 26))], policy: full, cannotHold: freed });
    expect(plan.steps).toEqual([
      step({
        was: saved[0]!,
        becomes: { left: '1', right: 'a', flags: [...keywords], notHeld: { right: keywords.slice(27) } },
        setFlags: [{ side: 'right', id: 'a', add: [keywords[26]!], remove: [] }],
      }),
    ]);
  });

  it("a mirror's source that can hold a flag again and lacks it removed it: the copy follows, the state says the source holds what it holds", () => {
    const saved: SavedPair[] = [{ left: '1', right: 'a', flags: [keywords[27]!], notHeld: { left: [keywords[27]!] } }];
    const plan = planSync({ saved, left: [m('1', [])], right: [m('a', [keywords[27]!])], policy: mirror });
    expect(plan.steps).toEqual([
      step({ was: saved[0]!, becomes: { left: '1', right: 'a', flags: [] }, setFlags: [{ side: 'right', id: 'a', add: [], remove: [keywords[27]!] }] }),
    ]);
    // While it still cannot hold the flag, its lack is not a removal: nothing to do.
    expect(planSync({ saved, left: [m('1', [])], right: [m('a', [keywords[27]!])], policy: mirror, cannotHold: { left: new Set([keywords[27]!]) } }).steps).toEqual([]);
  });

  it('first run against two populated sides: paired by identity, the flags the right cannot hold kept on the left', () => {
    const plan = planSync({
      saved: [],
      left: [m('1', keywords)],
      right: [m('a', [SEEN, ...keywords.slice(0, 26)])],
      identities: ids({ '1': 'X' }, { a: 'X' }),
      policy: full,
      cannotHold,
    });
    expect(plan.steps).toEqual([
      step({
        becomes: { left: '1', right: 'a', flags: [...keywords, SEEN].sort(), notHeld: { right: keywords.slice(26) }, identity: 'X' },
        setFlags: [{ side: 'left', id: '1', add: [SEEN], remove: [] }],
      }),
    ]);
  });
});
