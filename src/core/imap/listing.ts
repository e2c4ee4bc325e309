import type { FetchMessageObject } from 'imapflow';
import type { MessageMeta, SkippedMessage } from '../../api/types.js';
import { flagList, toMillis } from './fields.js';
import { MAX_UID } from './uid-set.js';

/** What a metadata FETCH listed: each usable message once, and the rows it could not use with why. */
export interface Listing {
  messages: MessageMeta[];
  skipped: SkippedMessage[];
}

/**
 * The rows that answer a `(UID FLAGS RFC822.SIZE INTERNALDATE)` FETCH: they
 * carry a size. An unsolicited FETCH the server sends meanwhile (another
 * client changed flags) carries none and answers nothing.
 */
function answers(rows: readonly FetchMessageObject[]): FetchMessageObject[] {
  return rows.filter((row) => row.size !== undefined);
}

/**
 * The messages of a FETCH listing, sorted by UID. A row whose UID is missing
 * or outside 1..2^32-1, and a UID the server gave to more than one message
 * (two sequence numbers), are skipped with the reason: such a message cannot
 * be addressed safely, and the rest of the folder still can.
 */
export function listedMessages(rows: readonly FetchMessageObject[]): Listing {
  const skipped: SkippedMessage[] = [];
  const byUid = new Map<number, { row: FetchMessageObject; seqs: Set<number | undefined> }>();
  for (const row of answers(rows)) {
    const uid = row.uid as number | undefined;
    if (uid === undefined || !Number.isInteger(uid) || uid < 1 || uid > MAX_UID) {
      skipped.push({
        ...(uid === undefined ? {} : { id: String(uid) }),
        reason: uid === undefined ? `message ${row.seq ?? '?'} of the folder came with no usable UID` : `UID ${uid} is outside 1..${MAX_UID}`,
      });
      continue;
    }
    const entry = byUid.get(uid);
    if (entry) entry.seqs.add(row.seq);
    else byUid.set(uid, { row, seqs: new Set([row.seq]) });
  }
  const messages: MessageMeta[] = [];
  for (const [uid, { row, seqs }] of byUid) {
    if (seqs.size > 1) {
      skipped.push({ id: String(uid), reason: `the server gave UID ${uid} to ${seqs.size} messages (sequence numbers ${[...seqs].join(', ')})` });
      continue;
    }
    messages.push({ id: String(uid), flags: flagList(row.flags), size: row.size ?? 0, internalDate: toMillis(row.internalDate) });
  }
  messages.sort((a, b) => Number(a.id) - Number(b.id));
  return { messages, skipped };
}

/** How many of the messages 1..`exists` (sequence numbers) no row of a full listing answers for. */
export function unlistedCount(rows: readonly FetchMessageObject[], exists: number): number {
  const answered = new Set<number>();
  for (const row of answers(rows)) if (row.seq !== undefined && row.seq >= 1 && row.seq <= exists) answered.add(row.seq);
  return exists - answered.size;
}
