/**
 * Property tests of a two-way account sync with moves: random histories of
 * adds, deletions, flag changes and moves between folders on both sides,
 * then a sync the way `imapfw sync` does it: the moves made in the Maildir
 * (right; a moved file keeps its name) are found by `detectMoves` and
 * repeated on the server (left; a move gives a new UID), then every folder
 * is planned and executed. A move on the server is a new UID in one folder
 * and a gone one in the other: the folder syncs copy and delete it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Side } from '../../src/api/types.js';
import { detectMoves, type MoveFolderView, type PlannedMove } from '../../src/api/engines/local-moves.js';
import { twoWayPolicy, type SyncPlan } from '../../src/core/sync/index.js';
import { flagSet, World } from './model.js';

const SIDES: Side[] = ['left', 'right'];
const FOLDERS = ['A', 'B', 'C'];
const FLAGS = ['\\Seen', '\\Flagged', '\\Answered', '$Work'];

type Op =
  | { kind: 'add'; folder: number; side: Side; identity: string; flags: string[] }
  | { kind: 'delete'; folder: number; side: Side; pick: number }
  | { kind: 'flags'; folder: number; side: Side; pick: number; add: string[]; remove: string[] }
  | { kind: 'move'; from: number; to: number; side: Side; pick: number }
  | { kind: 'sync' };

const folder = fc.nat(FOLDERS.length - 1);
const side = fc.constantFrom(...SIDES);
const flags = fc.subarray(FLAGS);
const pick = fc.nat(50);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('add' as const), folder, side, identity: fc.nat(12).map((n) => `I${n}`), flags }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), folder, side, pick }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('flags' as const), folder, side, pick, add: flags, remove: flags }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('move' as const), from: folder, to: folder, side, pick }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'sync' as const }) },
);

/** One World per folder; right-side names carry the folder they were made in, so they stay unique when files move. */
class Account {
  folders: World[] = FOLDERS.map((name) => new World(`${name}.`));

  clone(): Account {
    const copy = new Account();
    copy.folders = this.folders.map((world) => world.clone());
    return copy;
  }

  /** Identity -> number of messages holding it on `side`, over every folder. */
  identities(side: Side): Map<string, number> {
    const counts = new Map<string, number>();
    for (const world of this.folders) for (const identity of world.store(side).identities()) counts.set(identity, (counts.get(identity) ?? 0) + 1);
    return counts;
  }
}

function apply(account: Account, op: Op): boolean {
  if (op.kind === 'sync') return false;
  if (op.kind === 'add') {
    account.folders[op.folder]!.store(op.side).add(op.identity, op.flags);
    return true;
  }
  const from = account.folders[op.kind === 'move' ? op.from : op.folder]!.store(op.side);
  const ids = [...from.messages.keys()];
  if (ids.length === 0) return true;
  const id = ids[op.pick % ids.length]!;
  const message = from.messages.get(id)!;
  if (op.kind === 'delete') from.messages.delete(id);
  else if (op.kind === 'flags') message.flags = flagSet([...message.flags.filter((flag) => !op.remove.includes(flag)), ...op.add]);
  else if (op.from !== op.to) {
    from.messages.delete(id);
    const to = account.folders[op.to]!.store(op.side);
    // A Maildir file keeps its name; a server gives the message a new UID in its new folder.
    if (op.side === 'right') to.messages.set(id, message);
    else to.add(message.identity, message.flags);
  }
  return true;
}

/** Moves followed so far: the histories must exercise them. */
let followed = 0;

interface AccountSync {
  moves: PlannedMove[];
  /** The account after the moves, before the folder syncs. */
  moved: Account;
  /** Per folder, the plan executed after the moves. */
  plans: SyncPlan[];
}

/**
 * What `imapfw sync` does for the account: detect the Maildir's moves,
 * repeat each on the server when the message there is still the pair's
 * (the executor's identity check), commit the moved pairs, then sync every
 * folder.
 */
function syncAccount(account: Account): AccountSync {
  const views: MoveFolderView[] = account.folders.map((world, i) => ({ left: FOLDERS[i]!, right: FOLDERS[i]!, folderPairId: i, saved: world.saved, current: world.right.list(), uidValidity: { left: '1', right: '1' } }));
  const moves = detectMoves(
    'right',
    views,
    (message) => message.id,
    (pair) => pair.right,
  );
  for (const move of moves) {
    const from = account.folders[move.from.folderPairId!]!;
    const to = account.folders[move.to.folderPairId!]!;
    const serverMessage = from.left.messages.get(move.pair.left!);
    if (!serverMessage || serverMessage.identity !== move.pair.identity) continue;
    from.left.messages.delete(move.pair.left!);
    const newId = to.left.add(serverMessage.identity, serverMessage.flags);
    from.saved = from.saved.filter((pair) => pair !== move.pair);
    to.saved = [...to.saved, { left: newId, right: move.message.id, flags: [...move.pair.flags], identity: serverMessage.identity }];
  }
  followed += moves.length;
  const moved = account.clone();
  const plans = account.folders.map((world) => world.sync(twoWayPolicy()));
  return { moves, moved, plans };
}

/** The delta rule, written out independently of the planner. */
function deltaRule(saved: readonly string[], left: readonly string[], right: readonly string[]): string[] {
  const removed = saved.filter((flag) => !left.includes(flag) || !right.includes(flag));
  const added = [...left, ...right].filter((flag) => !saved.includes(flag));
  return flagSet([...saved.filter((flag) => !removed.includes(flag)), ...added]);
}

function check(account: Account): void {
  const before = account.clone();
  const { moves, moved, plans } = syncAccount(account);

  for (const [i, world] of account.folders.entries()) {
    // Each folder holds the same messages on both sides, each paired, with equal flags.
    expect(world.left.identities(), `folder ${FOLDERS[i]}`).toEqual(world.right.identities());
    expect(world.saved.length).toBe(world.left.messages.size);
    for (const pair of world.saved) {
      expect(flagSet(world.left.messages.get(pair.left!)!.flags)).toEqual(flagSet(pair.flags));
      expect(flagSet(world.right.messages.get(pair.right!)!.flags)).toEqual(flagSet(pair.flags));
    }
  }

  // A message moved in the Maildir is moved on the server: never copied, and its flags follow the delta rule.
  const copiedFromRight = new Set(plans.flatMap((plan) => plan.steps.filter((step) => step.copy?.from === 'right').map((step) => step.copy!.id)));
  for (const move of moves) {
    const serverBefore = before.folders[move.from.folderPairId!]!.left.messages.get(move.pair.left!);
    if (!serverBefore || serverBefore.identity !== move.pair.identity) continue;
    expect(copiedFromRight.has(move.message.id), `moved ${move.message.id} copied`).toBe(false);
    const to = account.folders[move.to.folderPairId!]!;
    const pair = to.saved.find((saved) => saved.right === move.message.id);
    expect(pair, `moved ${move.message.id} paired in ${FOLDERS[move.to.folderPairId!]}`).toBeDefined();
    expect(flagSet(pair!.flags)).toEqual(deltaRule(move.pair.flags, serverBefore.flags, move.message.flags));
  }

  // The moves repeated on the server moved messages, no more: each side holds the same messages as before them.
  for (const side of SIDES) expect(moved.identities(side)).toEqual(before.identities(side));
  // Nothing duplicated, nothing lost, per folder after the moves: per identity, no more messages than the fuller
  // side had, no fewer than it had minus the deletions made by the user (saved pairs missing a message).
  for (const [i, world] of account.folders.entries()) {
    const start = moved.folders[i]!;
    const count = (identities: string[]) => identities.reduce((map, identity) => map.set(identity, (map.get(identity) ?? 0) + 1), new Map<string, number>());
    const [left, right, after] = [count(start.left.identities()), count(start.right.identities()), count(world.left.identities())];
    const deletions = count(start.saved.filter((pair) => SIDES.some((side) => pair[side] !== undefined && !start.store(side).messages.has(pair[side]))).map((pair) => pair.identity!));
    for (const identity of new Set([...left.keys(), ...right.keys(), ...after.keys()])) {
      const [l, r, n] = [left.get(identity) ?? 0, right.get(identity) ?? 0, after.get(identity) ?? 0];
      expect(n, `${FOLDERS[i]} ${identity}: ${l} left, ${r} right before`).toBeLessThanOrEqual(Math.max(l, r));
      expect(n, `${FOLDERS[i]} ${identity}: ${l} left, ${r} right before`).toBeGreaterThanOrEqual(Math.max(l, r) - (deletions.get(identity) ?? 0));
    }
  }

  // A second sync plans nothing: no move, no step.
  const again = syncAccount(account);
  expect(again.moves).toEqual([]);
  for (const plan of again.plans) expect(plan.steps).toEqual([]);
}

describe('account sync with moves (detectMoves + planSync)', () => {
  it('random adds, deletions, flag changes and moves on both sides: both sides equal per folder, moves not copied, delta-rule flags, a second sync plans nothing', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 10, maxLength: 60, size: 'max' }), (ops) => {
        const account = new Account();
        for (const op of ops) if (!apply(account, op)) check(account);
        check(account);
      }),
      { numRuns: 300 },
    );
    expect(followed, 'moves followed over all histories').toBeGreaterThan(100);
  });

  it('every unambiguous local move is followed: a message moved after a sync is found, whatever else changed', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), fc.nat(1000), fc.nat(2), fc.nat(2), (ops, pickOne, from, to) => {
        fc.pre(from !== to);
        const account = new Account();
        for (const op of ops) apply(account, op);
        syncAccount(account);
        // Unique identities make the move unambiguous: move one synced message whose identity is nowhere else.
        const counts = account.identities('right');
        const candidates = [...account.folders[from]!.right.messages].filter(([, m]) => counts.get(m.identity) === 1);
        fc.pre(candidates.length > 0);
        const [id] = candidates[pickOne % candidates.length]!;
        apply(account, { kind: 'move', side: 'right', from, to, pick: [...account.folders[from]!.right.messages.keys()].indexOf(id) });
        const { moves } = syncAccount(account);
        expect(moves.map((move) => move.message.id)).toEqual([id]);
        expect(account.folders[to]!.saved.some((pair) => pair.right === id)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
