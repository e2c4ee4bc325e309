import type { Identity, MessageId } from '../../api/types.js';

/**
 * The unpaired messages of one side, by identity. Messages sharing an
 * identity (real duplicates) are handed out one at a time, lowest id first,
 * so that duplicates pair one-to-one in a deterministic order.
 */
export class IdentityPool {
  /** Per identity, ids sorted highest first: `take` pops the lowest. */
  private readonly byIdentity = new Map<Identity, MessageId[]>();

  constructor(ids: Iterable<MessageId>, identities: ReadonlyMap<MessageId, Identity>) {
    for (const id of ids) {
      const identity = identities.get(id);
      if (identity === undefined) continue;
      const list = this.byIdentity.get(identity);
      if (list) list.push(id);
      else this.byIdentity.set(identity, [id]);
    }
    for (const list of this.byIdentity.values()) if (list.length > 1) list.sort((a, b) => compareIds(b, a));
  }

  /** Removes and returns the lowest id with this identity. */
  take(identity: Identity): MessageId | undefined {
    return this.byIdentity.get(identity)?.pop();
  }

  has(identity: Identity): boolean {
    return (this.byIdentity.get(identity)?.length ?? 0) > 0;
  }

  identities(): Iterable<Identity> {
    return this.byIdentity.keys();
  }
}

/** Numeric ids (IMAP UIDs) by value, others (Maildir names) by code units. */
export function compareIds(a: MessageId, b: MessageId): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b) && a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
