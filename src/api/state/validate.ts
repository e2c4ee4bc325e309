/**
 * Argument checks shared by both state backends, so that they refuse the
 * same calls with the same errors. These are caller bugs, hence built-in
 * TypeError/RangeError rather than ImapfwError.
 */
import type { StateCommit } from './types.js';

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

export function unknownFolderPair(id: number): RangeError {
  return new RangeError(`state: no folder pair with id ${id}`);
}
