/**
 * Argument checks shared by both state backends, so that they refuse the
 * same calls with the same errors. These are caller bugs, hence built-in
 * TypeError/RangeError rather than ImapfwError.
 */
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
