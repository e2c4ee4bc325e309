import type { Logger } from 'pino';
import type { Remote } from '../app.js';
import type { MessagePair } from '../state/types.js';
import type { FolderRef, FolderStatus, Identity, MessageId, MessageMeta, PriorPair, Repository, Side } from '../types.js';
import { otherSide } from '../../core/sync/index.js';
import { sorted } from '../../core/sync/flags.js';
import { identifyAll } from './identify-all.js';

/** The pairs a folder pair's first sync starts from, and the identities learned checking them. */
export interface PriorBase {
  saved: MessagePair[];
  identities: Record<Side, Map<MessageId, Identity>>;
  /** Pairs whose two messages are both there: found on both sides, as a pairing by identity would have. */
  paired: number;
}

export interface PriorSyncInput {
  /** The side whose store may hold the record; the other is the server. */
  side: Side;
  repositories: Record<Side, Remote<Repository>>;
  folders: Record<Side, FolderRef>;
  /** Every message of each side now. */
  view: Record<Side, readonly MessageMeta[]>;
  /** The server folder's status from its scan. */
  serverStatus: FolderStatus;
  /** Filled with the dates a store told with its identities (see identifyAll). */
  dates: Record<Side, Map<MessageId, number>>;
  logger: Logger;
}

/**
 * Another tool's record of the folder pair's last sync (Repository.priorSync),
 * as saved pairs, once checked: the server folder must still be the one it
 * was made under (UIDVALIDITY, and no UID beyond UIDNEXT), and where both
 * messages of a pair are there they must have one identity (a pair that
 * fails is left out: its messages pair by identity). A pair with one message
 * gone is believed: that message was deleted since, and the deletion
 * propagates as the policy says. Undefined when there is no record to use.
 */
export async function priorBase(input: PriorSyncInput): Promise<PriorBase | undefined> {
  const { side, repositories, folders, view, logger } = input;
  const server = otherSide(side);
  const holder = repositories[side] as unknown as Remote<Required<Repository>>;
  const record = await holder.priorSync(folders[side], view[side].map((message) => message.id), folders[server].uidValidity);
  if (!record) return undefined;
  const notUsed = (why: string) => logger.warn({ folder: folders[side].name }, `${record.tool}'s record of this folder is not used: ${why}; its messages are paired by identity`);
  if (record.unusable !== undefined) return void notUsed(record.unusable);
  if (record.serverUidValidity !== folders[server].uidValidity) {
    return void notUsed(`it was made under the server folder's UIDVALIDITY ${record.serverUidValidity}, which is ${folders[server].uidValidity} now`);
  }
  const uidNext = input.serverStatus.uidNext;
  const beyond = uidNext === undefined ? undefined : record.pairs.find((pair) => Number(pair.server) >= uidNext);
  if (beyond) return void notUsed(`it names UID ${beyond.server}, which the server folder never gave (its UIDNEXT is ${uidNext})`);

  const present = { [side]: new Set(view[side].map((m) => m.id)), [server]: new Set(view[server].map((m) => m.id)) } as Record<Side, Set<MessageId>>;
  const idOn = (pair: PriorPair, on: Side) => (on === side ? pair.here : pair.server);
  const both = record.pairs.filter((pair) => present[side].has(pair.here) && present[server].has(pair.server));
  const [leftIdentities, rightIdentities] = await Promise.all(
    (['left', 'right'] as const).map((on) =>
      identifyAll(
        repositories[on],
        folders[on],
        both.map((pair) => idOn(pair, on)),
        { dates: input.dates[on] },
      ),
    ),
  );
  const identities = { left: leftIdentities!, right: rightIdentities! };
  const saved: MessagePair[] = [];
  let paired = 0;
  let differ = 0;
  let gone = 0;
  for (const pair of record.pairs) {
    const there = { [side]: present[side].has(pair.here), [server]: present[server].has(pair.server) } as Record<Side, boolean>;
    let identity: Identity | undefined;
    if (there.left && there.right) {
      identity = identities.left.get(idOn(pair, 'left'));
      if (identity === undefined || identity !== identities.right.get(idOn(pair, 'right'))) {
        differ++;
        continue;
      }
      paired++;
    } else if (there.left || there.right) gone++;
    else continue;
    saved.push({ [side]: pair.here, [server]: pair.server, flags: sorted(pair.flags), ...(identity === undefined ? {} : { identity }) });
  }
  // At debug: a run that goes well writes nothing to stderr (README), and this one is going as it should.
  logger.debug(
    { folder: folders[side].name, paired, gone, differ },
    `${record.tool}'s record of this folder is the base of its first sync: ${paired} messages paired as it has them, ${gone} deleted on one side since${differ ? `, ${differ} pairs whose messages differ left to pair by identity` : ''}`,
  );
  return { saved, identities, paired };
}
