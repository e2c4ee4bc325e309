import type { MessageId, MessageMeta, Side } from '../../api/types.js';
import { otherSide, SIDES, unpairedIds } from './pairs.js';
import type { SavedPair } from './plan-types.js';

/**
 * The messages whose identity the engine must learn (`Repository.identify`)
 * before planning. Identifying costs a round trip per batch, so ask only
 * when a pairing can happen: an unpaired message on a side can pair with an
 * unpaired message of the other side, or with a saved pair that misses its
 * message on this side (UIDVALIDITY change, or deleted and stored again).
 * A first mirror into an empty folder, or a run where only one side got new
 * messages, asks for nothing.
 *
 * Also asked: the surviving message of such a pair when the pair saved no
 * identity, since the planner looks for the missing message by it.
 *
 * The policy does not matter: pairs are kept right under every policy.
 */
export function needIdentities(
  saved: readonly SavedPair[],
  left: readonly MessageMeta[],
  right: readonly MessageMeta[],
): Record<Side, MessageId[]> {
  const present = { left: new Set(left.map((message) => message.id)), right: new Set(right.map((message) => message.id)) };
  const unpaired = { left: unpairedIds(saved, 'left', left), right: unpairedIds(saved, 'right', right) };
  const missing = {
    left: saved.filter((pair) => pair.left === undefined || !present.left.has(pair.left)),
    right: saved.filter((pair) => pair.right === undefined || !present.right.has(pair.right)),
  };
  const wanted = (side: Side) => unpaired[side].length > 0 && (unpaired[otherSide(side)].length > 0 || missing[side].length > 0);
  const result = { left: wanted('left') ? [...unpaired.left] : [], right: wanted('right') ? [...unpaired.right] : [] };
  for (const side of SIDES) {
    if (!wanted(side)) continue;
    const other = otherSide(side);
    for (const pair of missing[side]) {
      const survivor = pair[other];
      if (pair.identity === undefined && survivor !== undefined && present[other].has(survivor)) result[other].push(survivor);
    }
  }
  return result;
}
