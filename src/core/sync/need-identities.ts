import type { MessageId, MessageMeta, Side } from '../../api/types.js';
import { otherSide, SIDES, sortOut } from './pairs.js';
import type { SavedPair } from './plan-types.js';

/**
 * The messages whose identity the engine must learn (`Repository.identify`)
 * before planning. Identifying costs a round trip per batch, so ask only
 * when a pairing can happen: an unpaired message on a side can pair with an
 * unpaired message of the other side, or with a saved pair whose message on
 * this side is missing (UIDVALIDITY change, or deleted and stored again).
 * A first mirror into an empty folder, or a run where only one side got new
 * messages, asks for nothing.
 *
 * Also asked: the surviving message of such a pair when the pair saved no
 * identity, since the planner looks for the missing message by it; and when
 * several such pairs share their identity (real duplicates), since its
 * identification tells its date (a Maildir's listing does not), by which the
 * planner tells the copies apart.
 *
 * The policy is not asked: pairs are kept right under every policy, and a
 * message stored again is looked for even when the policy would not copy it.
 */
export function needIdentities(
  saved: readonly SavedPair[],
  left: readonly MessageMeta[],
  right: readonly MessageMeta[],
): Record<Side, MessageId[]> {
  const sortedOut = { left: sortOut(saved, 'left', left), right: sortOut(saved, 'right', right) };
  /** Indexes of the saved pairs whose message on a side is not at its saved id. */
  const missing: Record<Side, number[]> = { left: [], right: [] };
  for (const side of SIDES) for (let index = 0; index < saved.length; index++) if (!sortedOut[side].atSavedId[index]) missing[side].push(index);
  const wanted = (side: Side) => sortedOut[side].unpaired.length > 0 && (sortedOut[otherSide(side)].unpaired.length > 0 || missing[side].length > 0);
  const result: Record<Side, MessageId[]> = { left: [], right: [] };
  for (const side of SIDES) {
    if (!wanted(side)) continue;
    for (const message of sortedOut[side].unpaired) result[side].push(message.id);
    const other = otherSide(side);
    const missingCopies = new Map<string, number>();
    for (const index of missing[side]) {
      const identity = saved[index]!.identity;
      if (identity !== undefined) missingCopies.set(identity, (missingCopies.get(identity) ?? 0) + 1);
    }
    for (const index of missing[side]) {
      const survivor = sortedOut[other].atSavedId[index];
      const identity = saved[index]!.identity;
      if (survivor && (identity === undefined || missingCopies.get(identity)! > 1)) result[other].push(survivor.id);
    }
  }
  return result;
}
