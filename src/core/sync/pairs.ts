/** Small helpers on sides and saved pairs, shared by the planner's parts. */
import type { Identity, MessageId, MessageMeta, Side } from '../../api/types.js';
import { sameFlags } from './flags.js';
import type { SavedPair } from './plan-types.js';

export const SIDES: readonly Side[] = ['left', 'right'];

export function otherSide(side: Side): Side {
  return side === 'left' ? 'right' : 'left';
}

/** Ids of `messages` that no saved pair holds, in the order of `messages`. */
export function unpairedIds(saved: readonly SavedPair[], side: Side, messages: readonly MessageMeta[]): MessageId[] {
  const paired = new Set<MessageId>();
  for (const pair of saved) if (pair[side] !== undefined) paired.add(pair[side]);
  return messages.filter((message) => !paired.has(message.id)).map((message) => message.id);
}

/** A pair with only the fields that have a value: the state store wants no `undefined` fields. */
export function makePair(ids: Partial<Record<Side, MessageId>>, flags: string[], identity: Identity | undefined): SavedPair {
  const pair: SavedPair = { flags };
  if (ids.left !== undefined) pair.left = ids.left;
  if (ids.right !== undefined) pair.right = ids.right;
  if (identity !== undefined) pair.identity = identity;
  return pair;
}

export function samePair(a: SavedPair, b: SavedPair): boolean {
  return a.left === b.left && a.right === b.right && a.identity === b.identity && sameFlags(a.flags, b.flags);
}
