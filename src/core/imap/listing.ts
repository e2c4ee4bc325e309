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
 * A `(UID FLAGS RFC822.SIZE INTERNALDATE)` FETCH listing, built row by row
 * as the rows come (imapflow's `fetch()`), so that a folder's listing is
 * held once, as MessageMeta, and never also as imapflow's row objects
 * (about 500 bytes a message, twice what the listing keeps). Messages with
 * the same flags share one flag list.
 *
 * A row without a size is an unsolicited FETCH the server sent meanwhile
 * (another client changed flags): it answers nothing. A row whose UID is
 * missing or outside 1..2^32-1, and a UID the server gave to more than one
 * message (two sequence numbers), are skipped with the reason: such a
 * message cannot be addressed safely, and the rest of the folder still can.
 */
export class ListingBuilder {
  private readonly messages: MessageMeta[] = [];
  /** The UID and sequence number of each of `messages`, by index. */
  private readonly uids: number[] = [];
  private readonly seqs: (number | undefined)[] = [];
  /** The sequence numbers of the rows that answered without a usable UID (they still answer for their message). */
  private readonly unusableSeqs: (number | undefined)[] = [];
  private readonly skipped: SkippedMessage[] = [];
  private readonly flagLists = new Map<string, string[]>();

  add(row: FetchMessageObject): void {
    if (row.size === undefined) return;
    const uid = row.uid as number | undefined;
    if (uid === undefined || !Number.isInteger(uid) || uid < 1 || uid > MAX_UID) {
      this.unusableSeqs.push(row.seq);
      this.skipped.push({
        ...(uid === undefined ? {} : { id: String(uid) }),
        reason: uid === undefined ? `message ${row.seq ?? '?'} of the folder came with no usable UID` : `UID ${uid} is outside 1..${MAX_UID}`,
      });
      return;
    }
    this.messages.push({ id: String(uid), flags: this.shared(flagList(row.flags)), size: row.size, internalDate: toMillis(row.internalDate) });
    this.uids.push(uid);
    this.seqs.push(row.seq);
  }

  /** How many of the messages 1..`exists` (sequence numbers) no row answered for. */
  unlisted(exists: number): number {
    const seen = new Uint8Array(exists + 1);
    let answered = 0;
    for (const seqs of [this.seqs, this.unusableSeqs]) {
      for (const seq of seqs) {
        if (seq === undefined || seq < 1 || seq > exists || seen[seq]) continue;
        seen[seq] = 1;
        answered++;
      }
    }
    return exists - answered;
  }

  /** The messages sorted by UID, each UID once; a UID given to two sequence numbers is skipped. */
  listing(): Listing {
    // Servers answer in UID order: then every UID is there once, and the messages are the listing as they are.
    if (this.uids.every((uid, index) => index === 0 || uid > this.uids[index - 1]!)) return { messages: this.messages, skipped: this.skipped };
    const order = Array.from(this.uids.keys()).sort((a, b) => this.uids[a]! - this.uids[b]!);
    const messages: MessageMeta[] = [];
    for (let start = 0; start < order.length; ) {
      const uid = this.uids[order[start]!]!;
      let end = start + 1;
      while (end < order.length && this.uids[order[end]!] === uid) end++;
      // The same row twice (same UID, same sequence number) is one message; in first-seen order, as the server sent them.
      const seqs = new Set(order.slice(start, end).sort((a, b) => a - b).map((index) => this.seqs[index]));
      if (seqs.size > 1) this.skipped.push({ id: String(uid), reason: `the server gave UID ${uid} to ${seqs.size} messages (sequence numbers ${[...seqs].join(', ')})` });
      else messages.push(this.messages[Math.min(...order.slice(start, end))]!);
      start = end;
    }
    return { messages, skipped: this.skipped };
  }

  private shared(flags: string[]): string[] {
    const key = flags.join('\n');
    const known = this.flagLists.get(key);
    if (known) return known;
    this.flagLists.set(key, flags);
    return flags;
  }
}
