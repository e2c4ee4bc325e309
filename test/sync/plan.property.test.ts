/**
 * Property tests: random histories of adds (with duplicate identities, on
 * both sides, before the first sync too), deletions, flag changes and
 * UIDVALIDITY changes between syncs; each plan is applied to the two-store
 * model and the result checked.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Side } from '../../src/api/types.js';
import { mirrorPolicy, twoWayPolicy, writesTo, type SavedPair, type SyncOperation, type SyncPlan, type SyncPolicy } from '../../src/core/sync/index.js';
import { flagSet, World } from './model.js';

const SIDES: Side[] = ['left', 'right'];
const FLAGS = ['\\Seen', '\\Flagged', '\\Answered', '\\Deleted', '$Work'];
/** With capacity changes: more keywords, some of which a side cannot hold (a Maildir folder out of keyword letters). */
const KEYWORDS = ['$Work', '$Home', '$Todo', 'later'];

type Op =
  | { kind: 'add'; side: Side; identity: string; flags: string[] }
  | { kind: 'delete'; side: Side; pick: number }
  | { kind: 'flags'; side: Side; pick: number; add: string[]; remove: string[] }
  | { kind: 'uidvalidity'; side: Side }
  | { kind: 'capacity'; side: Side; flag: string; holds: boolean }
  | { kind: 'sync' };

/**
 * A user's changes. With `capacity`, a side may stop being able to hold a
 * keyword (a Maildir's dovecot-keywords line removed: its messages no longer
 * show it) or become able to again (a letter freed).
 */
function opArb(sides: Side[], { uidValidity = true, capacity = false } = {}): fc.Arbitrary<Op> {
  const side = fc.constantFrom(...sides);
  const flags = fc.subarray(capacity ? [...FLAGS, ...KEYWORDS.slice(1)] : FLAGS);
  const pick = fc.nat(50);
  return fc.oneof(
    { weight: capacity ? 2 : 0, arbitrary: fc.record({ kind: fc.constant('capacity' as const), side: fc.constantFrom<Side>('left', 'right'), flag: fc.constantFrom(...KEYWORDS), holds: fc.boolean() }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('add' as const), side, identity: fc.nat(6).map((n) => `I${n}`), flags }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), side, pick }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('flags' as const), side, pick, add: flags, remove: flags }) },
    { weight: uidValidity ? 1 : 0, arbitrary: fc.record({ kind: fc.constant('uidvalidity' as const), side }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'sync' as const }) },
  );
}

/** Applies a user's change to the world; returns false for a sync. */
function apply(world: World, op: Op): boolean {
  if (op.kind === 'sync') return false;
  const store = world.store(op.side);
  const ids = [...store.messages.keys()];
  if (op.kind === 'add') store.add(op.identity, op.flags);
  else if (op.kind === 'capacity') {
    if (op.holds) store.cannotHold.delete(op.flag);
    else store.refuse(op.flag);
  } else if (op.kind === 'uidvalidity') world.invalidate(op.side);
  else if (ids.length > 0) {
    const id = ids[op.pick % ids.length]!;
    if (op.kind === 'delete') store.messages.delete(id);
    else {
      const message = store.messages.get(id)!;
      message.flags = flagSet(store.holdable([...message.flags.filter((flag) => !op.remove.includes(flag)), ...op.add]));
    }
  }
  return true;
}

/** Runs the history, checking every sync (and a last one) with `check`; each side starts unable to hold `cannotHold`. */
function run(ops: Op[], sync: (world: World) => void, cannotHold: Partial<Record<Side, string[]>> = {}): void {
  const world = new World();
  for (const side of SIDES) world.store(side).cannotHold = new Set(cannotHold[side]);
  for (const op of ops) if (!apply(world, op)) sync(world);
  sync(world);
}

function count(values: string[]): Map<string, number> {
  const result = new Map<string, number>();
  for (const value of values) result.set(value, (result.get(value) ?? 0) + 1);
  return result;
}

/**
 * The delta rule, written out independently of the planner: a flag is
 * removed when a side that held it at the last sync, and can hold it, no
 * longer does; added when a side holds it and the pair did not.
 */
function deltaRule(pair: SavedPair, now: Record<Side, string[]>, cannotHold: Record<Side, ReadonlySet<string>>): string[] {
  const removed = pair.flags.filter((flag) => SIDES.some((side) => !now[side].includes(flag) && !pair.notHeld?.[side]?.includes(flag) && !cannotHold[side].has(flag)));
  const added = SIDES.flatMap((side) => now[side]).filter((flag) => !pair.flags.includes(flag));
  return flagSet([...pair.flags.filter((flag) => !removed.includes(flag)), ...added]);
}

/** The state says what each side really holds: the pair's flags but its `notHeld`, and it lacks only what it cannot hold. */
function expectHonestPair(world: World, pair: SavedPair, side: Side): void {
  const message = world.store(side).messages.get(pair[side]!)!;
  const notHeld = pair.notHeld?.[side] ?? [];
  expect(flagSet(message.flags), `${side} ${pair[side]} holds what its pair says`).toEqual(flagSet(pair.flags.filter((flag) => !notHeld.includes(flag))));
  for (const flag of notHeld) expect(world.store(side).cannotHold.has(flag), `${side} ${pair[side]} lacks ${flag} only if it cannot hold it`).toBe(true);
}

/**
 * The messages a plan may delete to propagate a deletion the user made: the
 * partner of a pair whose other message vanished, and an unpaired message
 * with such a pair's identity (it may be found again as the pair's message).
 */
function deletable(before: World): Record<Side, Set<string>> {
  const result = { left: new Set<string>(), right: new Set<string>() };
  const identities = new Set<string>();
  for (const pair of before.saved) {
    const vanished = SIDES.some((side) => pair[side] !== undefined && !before.store(side).messages.has(pair[side]));
    if (!vanished) continue;
    if (pair.identity !== undefined) identities.add(pair.identity);
    for (const side of SIDES) if (pair[side] !== undefined) result[side].add(pair[side]);
  }
  for (const side of SIDES) {
    const paired = new Set(before.saved.map((pair) => pair[side]));
    for (const [id, message] of before.store(side).messages) if (!paired.has(id) && identities.has(message.identity)) result[side].add(id);
  }
  return result;
}

function actionSides(plan: SyncPlan): Set<Side> {
  const sides = new Set<Side>();
  for (const step of plan.steps) {
    if (step.copy) sides.add(step.copy.from === 'left' ? 'right' : 'left');
    for (const change of step.setFlags) sides.add(change.side);
    for (const ref of step.delete) sides.add(ref.side);
  }
  return sides;
}

/** Every pair names messages that exist (or, for an orphan, existed), each message is in at most one pair. */
function expectConsistentPairs(world: World): void {
  for (const side of SIDES) {
    const ids = world.saved.map((pair) => pair[side]).filter((id) => id !== undefined);
    expect(new Set(ids).size, `${side} ids are unique in pairs`).toBe(ids.length);
  }
}

function expectSecondPlanEmpty(world: World, policy: SyncPolicy): void {
  const { plan } = world.plan(policy);
  expect(plan.steps, 'a second plan').toEqual([]);
}

function checkTwoWaySync(world: World): void {
  const policy = twoWayPolicy();
  const before = world.clone();
  world.sync(policy);

  // Both sides hold the same messages, each one paired, with equal flags.
  expect(world.left.identities()).toEqual(world.right.identities());
  expect(world.saved.length).toBe(world.left.messages.size);
  expect(world.saved.length).toBe(world.right.messages.size);
  expectConsistentPairs(world);
  for (const pair of world.saved) {
    const left = world.left.messages.get(pair.left!)!;
    const right = world.right.messages.get(pair.right!)!;
    expect(left.identity).toBe(right.identity);
    expect(pair.identity).toBe(left.identity);
    for (const side of SIDES) expectHonestPair(world, pair, side);
  }

  // Flags of pairs present on both sides follow the delta rule.
  for (const pair of before.saved) {
    const left = pair.left === undefined ? undefined : before.left.messages.get(pair.left);
    const right = pair.right === undefined ? undefined : before.right.messages.get(pair.right);
    if (!left || !right) continue;
    const expected = deltaRule(pair, { left: left.flags, right: right.flags }, { left: before.left.cannotHold, right: before.right.cannotHold });
    for (const side of SIDES) {
      const holds = expected.filter((flag) => !before.store(side).cannotHold.has(flag));
      expect(flagSet(world.store(side).messages.get(pair[side]!)!.flags), `${side} ${pair[side]} after the delta rule`).toEqual(holds);
    }
  }

  // Nothing lost: a message disappears only to propagate a user's deletion.
  const mayGo = deletable(before);
  for (const side of SIDES) {
    for (const id of before.store(side).messages.keys()) {
      if (!mayGo[side].has(id)) expect(world.store(side).messages.has(id), `${side} ${id} kept`).toBe(true);
    }
  }
  // Nothing duplicated: per identity, no more copies than the fuller side had; no fewer than it had minus deletions.
  const deletions = count(before.saved.filter((pair) => SIDES.some((side) => pair[side] !== undefined && !before.store(side).messages.has(pair[side]))).map((pair) => pair.identity!));
  const after = count(world.left.identities());
  const [left, right] = [count(before.left.identities()), count(before.right.identities())];
  for (const identity of new Set([...left.keys(), ...right.keys(), ...after.keys()])) {
    const fuller = Math.max(left.get(identity) ?? 0, right.get(identity) ?? 0);
    expect(after.get(identity) ?? 0).toBeLessThanOrEqual(fuller);
    expect(after.get(identity) ?? 0).toBeGreaterThanOrEqual(fuller - (deletions.get(identity) ?? 0));
  }

  expect(world.plan(policy).asked, 'identities asked by a second plan').toEqual({ left: [], right: [] });
  expectSecondPlanEmpty(world, policy);
}

function checkMirrorSync(world: World): void {
  const policy = mirrorPolicy();
  const before = world.clone();
  const { plan } = world.plan(policy);
  expect(actionSides(plan).has('left'), 'mirror acts on the left').toBe(false);
  world.execute(plan);

  expect(world.left.messages).toEqual(before.left.messages);
  expectConsistentPairs(world);
  // Every left message is on the right with the left flags it can hold, unless the user deleted its copy there (orphan).
  const byLeft = new Map(world.saved.map((pair) => [pair.left, pair]));
  for (const [id, message] of world.left.messages) {
    const pair = byLeft.get(id);
    expect(pair, `left ${id} is paired`).toBeDefined();
    const copy = world.right.messages.get(pair!.right!);
    if (copy) {
      expect(copy.identity).toBe(message.identity);
      for (const side of SIDES) expectHonestPair(world, pair!, side);
    } else {
      expect(before.saved.some((saved) => saved.right === pair!.right), 'an orphan comes from a saved pair').toBe(true);
    }
  }
  // Pairs only name left messages that exist; the plan makes no unpaired message and loses none.
  for (const pair of world.saved) expect(world.left.messages.has(pair.left!)).toBe(true);
  const paired = new Set(world.saved.map((pair) => pair.right));
  for (const id of world.right.messages.keys()) if (!paired.has(id)) expect(before.right.messages.has(id), `unpaired right ${id} was there before`).toBe(true);
  const mayGo = deletable(before);
  for (const id of before.right.messages.keys()) if (!mayGo.right.has(id)) expect(world.right.messages.has(id), `right ${id} kept`).toBe(true);

  expectSecondPlanEmpty(world, policy);
}

const operations = fc.subarray<SyncOperation>(['new', 'gone', 'flags']);
const policyArb: fc.Arbitrary<SyncPolicy> = fc
  .record({ toRight: operations, toLeft: operations, expungeLeft: fc.boolean(), expungeRight: fc.boolean(), keepOwnFlags: fc.boolean() })
  .map(({ toRight, toLeft, expungeLeft, expungeRight, keepOwnFlags }) => ({
    toRight: new Set(toRight),
    toLeft: new Set(toLeft),
    expunge: { left: expungeLeft, right: expungeRight },
    keepOwnFlags,
  }));

/**
 * Flags flowing one way, kept by the receiving side (`sync --sync pull`, as
 * mbsync): the sender's flags are never set, and each message on both sides
 * before and after ends with its receiver's flags merged with the sender's
 * changes since the last sync (the delta rule over both), and the pair
 * saves the sender's flags.
 */
function checkKeptFlags(world: World, policy: SyncPolicy, sender: Side): void {
  const receiver: Side = sender === 'left' ? 'right' : 'left';
  const before = world.clone();
  const { plan } = world.plan(policy);
  expect(plan.steps.flatMap((step) => step.setFlags).filter((change) => change.side === sender), `flags set on the sender (${sender})`).toEqual([]);
  world.execute(plan);
  const noCapacity = { left: new Set<string>(), right: new Set<string>() };
  for (const pair of before.saved) {
    const was = { sender: before.store(sender).messages.get(pair[sender]!), receiver: before.store(receiver).messages.get(pair[receiver]!) };
    const now = world.store(receiver).messages.get(pair[receiver]!);
    if (!was.sender || !was.receiver || !now) continue;
    const expected = deltaRule(pair, { [sender]: was.sender.flags, [receiver]: was.receiver.flags } as Record<Side, string[]>, noCapacity);
    expect(flagSet(now.flags), `${receiver} ${pair[receiver]}: its changes kept, the ${sender}'s applied`).toEqual(expected);
  }
  for (const pair of world.saved) {
    const held = world.store(sender).messages.get(pair[sender]!);
    if (held && pair.left !== undefined && pair.right !== undefined) expect(flagSet(pair.flags), `the pair of ${sender} ${pair[sender]} saves its flags`).toEqual(flagSet(held.flags));
  }
  expectSecondPlanEmpty(world, policy);
}

function checkAnyPolicySync(world: World, policy: SyncPolicy): void {
  const before = world.clone();
  const { plan } = world.plan(policy);
  for (const side of actionSides(plan)) expect(writesTo(policy, side), `acts on ${side}`).toBe(true);
  world.execute(plan);
  expectConsistentPairs(world);

  // A message disappears only to propagate a deletion, or to expunge (here or, per `gone`, on the other side).
  const mayGo = deletable(before);
  for (const side of SIDES) {
    const other = side === 'left' ? 'right' : 'left';
    const expunging = policy.expunge[side] || (policy.expunge[other] && (side === 'left' ? policy.toLeft : policy.toRight).has('gone'));
    for (const id of before.store(side).messages.keys()) {
      if (!mayGo[side].has(id) && !expunging) expect(world.store(side).messages.has(id), `${side} ${id} kept`).toBe(true);
    }
  }
  // No side ends up with more copies of a message than the fuller side had.
  for (const side of SIDES) {
    const after = count(world.store(side).identities());
    const [left, right] = [count(before.left.identities()), count(before.right.identities())];
    for (const [identity, n] of after) expect(n).toBeLessThanOrEqual(Math.max(left.get(identity) ?? 0, right.get(identity) ?? 0));
  }
  expectSecondPlanEmpty(world, policy);
}

describe('planSync properties', () => {
  it('two-way: both sides end equal, flags follow the delta rule, nothing lost or duplicated, a second plan is empty', () => {
    fc.assert(
      fc.property(fc.array(opArb(SIDES), { maxLength: 60 }), (ops) => run(ops, checkTwoWaySync)),
      { numRuns: 400 },
    );
  });

  it('mirror: the right follows the left (but for local deletions), the left is untouched, a second plan is empty', () => {
    fc.assert(
      fc.property(fc.array(opArb(SIDES), { maxLength: 60 }), (ops) => run(ops, checkMirrorSync)),
      { numRuns: 400 },
    );
  });

  // A UIDVALIDITY change is left out: a message not found again after one is kept on the right, never deleted.
  it('mirror with no local change: right == left after every sync', () => {
    fc.assert(
      fc.property(fc.array(opArb(['left'], { uidValidity: false }), { maxLength: 60 }), (ops) =>
        run(ops, (world) => {
          world.sync(mirrorPolicy());
          expect(world.right.identities()).toEqual(world.left.identities());
          for (const pair of world.saved) expect(flagSet(world.right.messages.get(pair.right!)!.flags)).toEqual(flagSet(world.left.messages.get(pair.left!)!.flags));
        }),
      ),
      { numRuns: 200 },
    );
  });

  const capacity = fc.record({ right: fc.subarray(KEYWORDS), left: fc.subarray(KEYWORDS, { maxLength: 1 }) });

  it('a side that holds only some flags: the state says what each side holds, the other side keeps them, nothing churns', () => {
    fc.assert(
      fc.property(capacity, fc.array(opArb(SIDES, { capacity: true }), { maxLength: 60 }), (cannotHold, ops) => run(ops, checkTwoWaySync, cannotHold)),
      { numRuns: 400 },
    );
  });

  it('mirror into a side that holds only some flags: it holds those it can, the state says which', () => {
    fc.assert(
      fc.property(capacity, fc.array(opArb(SIDES, { capacity: true }), { maxLength: 60 }), (cannotHold, ops) => run(ops, checkMirrorSync, cannotHold)),
      {
        numRuns: 300,
        examples: [
          // The source stops holding a flag its copy has, then can hold it again, still without it: the copy follows the source.
          [
            { left: [], right: [] },
            [
              { kind: 'add', side: 'left', identity: 'I0', flags: ['$Todo'] },
              { kind: 'sync' },
              { kind: 'capacity', side: 'left', flag: '$Todo', holds: false },
              { kind: 'sync' },
              { kind: 'capacity', side: 'left', flag: '$Todo', holds: true },
            ],
          ],
        ],
      },
    );
  });

  // UIDVALIDITY changes are left out: re-paired by identity, a pair has no base, and its flags merge as a union.
  it.each(['left', 'right'] as const)('flags one way from the %s, kept where they arrive: its changes applied, the other side keeps its own', (sender) => {
    const policy: SyncPolicy = { toRight: new Set<SyncOperation>(['new', 'gone', 'flags']), toLeft: new Set<SyncOperation>(['new', 'gone']), expunge: { left: false, right: false }, keepOwnFlags: true };
    const oneWay = sender === 'left' ? policy : { ...policy, toRight: policy.toLeft, toLeft: policy.toRight };
    fc.assert(
      fc.property(fc.array(opArb(SIDES, { uidValidity: false }), { maxLength: 60 }), (ops) => run(ops, (world) => checkKeptFlags(world, oneWay, sender))),
      { numRuns: 300 },
    );
  });

  it('any policy, sides that hold only some flags: acts only where it may write, converges in one plan', () => {
    fc.assert(
      fc.property(policyArb, capacity, fc.array(opArb(SIDES, { capacity: true }), { maxLength: 60 }), (policy, cannotHold, ops) => run(ops, (world) => checkAnyPolicySync(world, policy), cannotHold)),
      { numRuns: 300 },
    );
  });

  it('any policy: acts only where it may write, loses nothing it may not, duplicates nothing, converges in one plan', () => {
    fc.assert(
      fc.property(policyArb, fc.array(opArb(SIDES), { maxLength: 60 }), (policy, ops) => run(ops, (world) => checkAnyPolicySync(world, policy))),
      {
        numRuns: 400,
        examples: [
          // Found by CI: after a UIDVALIDITY change, a pair whose right copy was expunged took the left message of a
          // living pair, whose right message was then copied back beside it.
          [
            { toRight: new Set<SyncOperation>(['flags']), toLeft: new Set<SyncOperation>(['new']), expunge: { left: false, right: true } },
            [
              { kind: 'add', side: 'right', identity: 'I5', flags: [] },
              { kind: 'add', side: 'left', identity: 'I5', flags: ['\\Deleted'] },
              { kind: 'add', side: 'right', identity: 'I5', flags: [] },
              { kind: 'sync' },
              { kind: 'delete', side: 'left', pick: 0 },
              { kind: 'uidvalidity', side: 'left' },
            ],
          ],
        ],
      },
    );
  });
});
