import type { Identity, MessageId, MessageMeta } from '../../api/types.js';
import { sameFlags } from './flags.js';

/**
 * The unpaired messages of one side, by identity when it is known. Messages
 * sharing an identity (real duplicates) are handed out one at a time, lowest
 * id first, so that duplicates pair one to one in a deterministic order; but
 * a message about to be expunged comes last, so that a pair is made with a
 * copy that stays (else the next run would re-pair with that copy).
 */
/** What a saved pair looking for its message again knows of it (see UnpairedMessages.take). */
export interface Wanted {
  /** The pair's saved flags. */
  flags?: readonly string[];
  /** The pair's message on the other side: its INTERNALDATE is the copy's. */
  like?: MessageMeta;
}

export class UnpairedMessages {
  /** Per identity, messages in reverse order of preference: `take` pops the first. */
  private readonly byIdentity = new Map<Identity, MessageMeta[]>();
  /** Messages whose identity is unknown: they can pair with nothing. */
  private readonly unidentified: MessageMeta[] = [];

  constructor(
    messages: Iterable<MessageMeta>,
    identities: ReadonlyMap<MessageId, Identity>,
    private readonly expunged: (message: MessageMeta) => boolean,
  ) {
    for (const message of messages) {
      const identity = identities.get(message.id);
      const list = identity === undefined ? this.unidentified : this.byIdentity.get(identity);
      if (list) list.push(message);
      else this.byIdentity.set(identity!, [message]);
    }
    const last = (message: MessageMeta) => (expunged(message) ? 1 : 0);
    for (const list of this.byIdentity.values()) if (list.length > 1) list.sort((a, b) => last(b) - last(a) || compareIds(b.id, a.id));
  }

  /** The message `take` would return, left in place. */
  peek(identity: Identity, wanted: Wanted = {}): MessageMeta | undefined {
    const list = this.byIdentity.get(identity);
    return list?.[this.preferred(list, wanted)];
  }

  /**
   * Removes and returns the preferred message with this identity. Among
   * duplicates, the one a saved pair is looking for again: the copy with the
   * INTERNALDATE of the pair's message on the other side (`like`: a copy
   * carries its source's date, which never changes), then one with the
   * pair's saved `flags` (finding the pair's message again then swaps no
   * flags between copies), unless only a copy about to be expunged has
   * those flags. A duplicate whose flags changed since the last run is thus
   * still found by its date.
   */
  take(identity: Identity, wanted: Wanted = {}): MessageMeta | undefined {
    const list = this.byIdentity.get(identity);
    return list?.length ? list.splice(this.preferred(list, wanted), 1)[0] : undefined;
  }

  /** The index in `list` of the message to hand out (see take). */
  private preferred(list: readonly MessageMeta[], { flags, like }: Wanted): number {
    if (list.length < 2) return list.length - 1;
    if (like) {
      for (const alike of [(m: MessageMeta) => sameDate(m, like) && (!flags || sameFlags(m.flags, flags)), (m: MessageMeta) => sameDate(m, like)]) {
        const found = list.findLastIndex(alike);
        if (found !== -1) return found;
      }
    }
    if (flags) {
      const found = list.findLastIndex((message) => sameFlags(message.flags, flags));
      if (found !== -1 && (!this.expunged(list[found]!) || this.expunged(list.at(-1)!))) return found;
    }
    return list.length - 1;
  }

  /**
   * Takes the messages whose identity the other side has too, in pairs: the
   * same mail, stored on both. Where one side holds several copies, copies
   * alike pair first: the same INTERNALDATE and flags, then the same date,
   * then the same flags. A copy made by an earlier run carries its source's
   * date and flags, so pairing again (a crash before the pair was committed,
   * a folder whose UIDVALIDITY changed, a rebuilt state) keeps each copy with
   * its like, instead of handing one duplicate's copy to another and then
   * copying the first again with the wrong date.
   */
  *matchWith(other: UnpairedMessages): Generator<[Identity, MessageMeta, MessageMeta]> {
    for (const [identity, mine] of this.byIdentity) {
      const theirs = other.byIdentity.get(identity);
      if (!theirs?.length) continue;
      if (mine.length > 1 || theirs.length > 1) {
        for (const alike of LIKENESS) {
          for (let i = mine.length - 1; i >= 0 && theirs.length > 0; i--) {
            const j = theirs.findLastIndex((message) => alike(message, mine[i]!));
            if (j !== -1) yield [identity, mine.splice(i, 1)[0]!, theirs.splice(j, 1)[0]!];
          }
        }
      }
      while (theirs.length && mine.length) yield [identity, mine.pop()!, theirs.pop()!];
    }
  }

  /** Every message not taken. */
  *remaining(): Generator<MessageMeta> {
    for (const list of this.byIdentity.values()) for (let i = list.length - 1; i >= 0; i--) yield list[i]!;
    yield* this.unidentified;
  }
}

/** INTERNALDATEs known on both and equal to the second (an IMAP date has no finer grain; a Maildir's mtime does). */
function sameDate(a: MessageMeta, b: MessageMeta): boolean {
  return a.internalDate !== undefined && b.internalDate !== undefined && Math.floor(a.internalDate / 1000) === Math.floor(b.internalDate / 1000);
}

/** How alike two copies of one identity are, most alike first. */
const LIKENESS: ((a: MessageMeta, b: MessageMeta) => boolean)[] = [
  (a, b) => sameDate(a, b) && sameFlags(a.flags, b.flags),
  sameDate,
  (a, b) => sameFlags(a.flags, b.flags),
];

/** Numeric ids (IMAP UIDs) by value, others (Maildir names) by code units. */
export function compareIds(a: MessageId, b: MessageId): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b) && a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
