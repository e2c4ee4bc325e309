import type { Identity, MessageId, MessageMeta } from '../../api/types.js';

/**
 * The unpaired messages of one side, by identity. Messages sharing an
 * identity (real duplicates) are handed out one at a time, lowest id first,
 * so that duplicates pair one-to-one in a deterministic order.
 */
export class IdentityPool {
  /** Per identity, messages sorted highest id first: `take` pops the lowest. */
  private readonly byIdentity = new Map<Identity, MessageMeta[]>();

  constructor(messages: Iterable<MessageMeta>, identities: ReadonlyMap<MessageId, Identity>) {
    for (const message of messages) {
      const identity = identities.get(message.id);
      if (identity === undefined) continue;
      const list = this.byIdentity.get(identity);
      if (list) list.push(message);
      else this.byIdentity.set(identity, [message]);
    }
    for (const list of this.byIdentity.values()) if (list.length > 1) list.sort((a, b) => compareIds(b.id, a.id));
  }

  /** Removes and returns the message with this identity that has the lowest id. */
  take(identity: Identity): MessageMeta | undefined {
    return this.byIdentity.get(identity)?.pop();
  }

  count(identity: Identity): number {
    return this.byIdentity.get(identity)?.length ?? 0;
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
