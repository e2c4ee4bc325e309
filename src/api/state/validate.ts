/**
 * Argument checks shared by both state backends, so that they refuse the
 * same calls with the same errors. These are caller bugs, hence built-in
 * TypeError/RangeError rather than ImapfwError.
 */
import { StateConflictError, type PairConflict } from '../errors.js';
import type { MessageId, Side } from '../types.js';
import type { MessagePair, StateCommit } from './types.js';

/** Throws a TypeError naming the first malformed part of a commit. */
export function checkCommit(change: StateCommit): void {
  for (const key of change.removePairs ?? []) {
    if (key.left === undefined && key.right === undefined) throw new TypeError('state commit: a pair to remove names neither a left nor a right id');
  }
  for (const pair of change.upsertPairs ?? []) {
    if (pair.left === undefined && pair.right === undefined) throw new TypeError('state commit: a pair to upsert has neither a left nor a right id');
  }
  for (const intent of change.openIntents ?? []) {
    if (intent.from !== 'left' && intent.from !== 'right') throw new TypeError(`state commit: intent side must be 'left' or 'right', not ${String(intent.from)}`);
  }
}

/** A pair's `notHeld` as both backends store it: without empty sides; undefined when no side lacks anything. */
export function notHeldToStore(pair: MessagePair): MessagePair['notHeld'] {
  const notHeld: MessagePair['notHeld'] = {};
  if (pair.notHeld?.left?.length) notHeld.left = [...pair.notHeld.left];
  if (pair.notHeld?.right?.length) notHeld.right = [...pair.notHeld.right];
  return notHeld.left || notHeld.right ? notHeld : undefined;
}

export function unknownFolderPair(id: number): RangeError {
  return new RangeError(`state: no folder pair with id ${id}`);
}

/**
 * Throws StateConflictError when an upsert of `change` would take an id that
 * another pair holds with another partner (after the commit's removals and
 * earlier upserts). A saved pair holding the upserted pair's ids, or one of
 * them with no partner (a half pair), is not a conflict: it is replaced.
 * `saved(side, id)` is the saved pair holding `id` on `side`, before the commit.
 */
export function checkPairConflicts(change: StateCommit, saved: (side: Side, id: MessageId) => MessagePair | undefined): void {
  if (!change.upsertPairs?.length) return;
  /** What the commit changed so far, by side and id: the pair now holding it, or null once removed. */
  const overlay = { left: new Map<MessageId, MessagePair | null>(), right: new Map<MessageId, MessagePair | null>() };
  const holder = (side: Side, id: MessageId | undefined): MessagePair | undefined => {
    if (id === undefined) return undefined;
    const changed = overlay[side].get(id);
    return changed === undefined ? saved(side, id) : (changed ?? undefined);
  };
  const drop = (pair: MessagePair) => {
    if (pair.left !== undefined) overlay.left.set(pair.left, null);
    if (pair.right !== undefined) overlay.right.set(pair.right, null);
  };
  for (const key of change.removePairs ?? []) {
    for (const pair of [holder('left', key.left), holder('right', key.right)]) if (pair) drop(pair);
  }
  const conflicts: PairConflict[] = [];
  for (const pair of change.upsertPairs) {
    const holders = [...new Set([holder('left', pair.left), holder('right', pair.right)])].filter((h): h is MessagePair => h !== undefined);
    const others = holders.filter((h) => (h.left !== undefined && h.left !== pair.left) || (h.right !== undefined && h.right !== pair.right));
    if (others.length) {
      conflicts.push({ pair, holders: others });
      continue;
    }
    for (const h of holders) drop(h);
    if (pair.left !== undefined) overlay.left.set(pair.left, pair);
    if (pair.right !== undefined) overlay.right.set(pair.right, pair);
  }
  if (conflicts.length) throw new StateConflictError(conflicts);
}
