/** Small helpers on sides and saved pairs, shared by the planner's parts. */
import type { Identity, MessageId, MessageMeta, Side } from '../../api/types.js';
import { sameFlags, sorted } from './flags.js';
import type { SavedPair } from './plan-types.js';

export const SIDES: readonly Side[] = ['left', 'right'];

export function otherSide(side: Side): Side {
  return side === 'left' ? 'right' : 'left';
}

/**
 * A side's messages sorted out: each saved pair's message if it is still at
 * its saved id (by the pair's index in `saved`), and the unpaired messages.
 */
export function sortOut(
  saved: readonly SavedPair[],
  side: Side,
  messages: readonly MessageMeta[],
): { atSavedId: (MessageMeta | undefined)[]; unpaired: MessageMeta[] } {
  // Index loops: this runs over every message of a folder, twice per sync, and iterators allocate when not optimized.
  const pairAt = new Map<MessageId, number>();
  for (let index = 0; index < saved.length; index++) {
    const id = saved[index]![side];
    if (id !== undefined) pairAt.set(id, index);
  }
  const atSavedId = new Array<MessageMeta | undefined>(saved.length);
  const unpaired: MessageMeta[] = [];
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    const index = pairAt.get(message.id);
    if (index === undefined) unpaired.push(message);
    else atSavedId[index] = message;
  }
  return { atSavedId, unpaired };
}

/** A pair with only the fields that have a value: the state store wants no `undefined` fields (nor empty `notHeld` lists). */
export function makePair(
  ids: Partial<Record<Side, MessageId>>,
  flags: string[],
  identity: Identity | undefined,
  notHeld: Partial<Record<Side, readonly string[]>> = {},
): SavedPair {
  const pair: SavedPair = { flags };
  if (ids.left !== undefined) pair.left = ids.left;
  if (ids.right !== undefined) pair.right = ids.right;
  for (const side of SIDES) {
    const lacking = notHeld[side];
    if (lacking?.length) (pair.notHeld ??= {})[side] = sorted(lacking);
  }
  if (identity !== undefined) pair.identity = identity;
  return pair;
}

/** The flags `side` held at the last sync: the pair's flags but those it could not hold. */
export function heldAtLastSync(pair: SavedPair, side: Side): readonly string[] {
  const notHeld = pair.notHeld?.[side];
  return notHeld ? pair.flags.filter((flag) => !notHeld.includes(flag)) : pair.flags;
}

export function samePair(a: SavedPair, b: SavedPair): boolean {
  return (
    a.left === b.left &&
    a.right === b.right &&
    a.identity === b.identity &&
    sameFlags(a.flags, b.flags) &&
    SIDES.every((side) => sameFlags(a.notHeld?.[side] ?? [], b.notHeld?.[side] ?? []))
  );
}
