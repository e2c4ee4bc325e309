import type { Identity, MessageId } from '../../api/index.js';

/** What the check of one folder found: plain data, it crosses threads in the folder's report. */
export interface FolderVerification {
  /** Source messages the selection keeps (all, without --max-age/--min-age/--max-size). */
  selected: number;
  /** Of those, found on the target by identity. */
  present: number;
  /** Selected source messages not found on the target. */
  missing: number;
  /** Source messages left out by the selection. */
  notSelected: number;
  /** Messages sharing their identity with another one of the same folder, beyond the first: per side. */
  duplicates: { source: number; target: number };
  /** Selected source messages without a Message-ID (identified by a hash of the body). */
  withoutMessageId: number;
}

export interface Comparison {
  verification: Omit<FolderVerification, 'notSelected'>;
  /** Source messages whose identity the target holds (as many times as the source does): the only ones --delete-source may delete. */
  verified: MessageId[];
}

/**
 * Compares a source folder with its target by identity, as multisets: a
 * source identity held n times is present n times only if the target holds
 * it at least n times (two identical source messages need two copies).
 */
export function compareByIdentity(source: ReadonlyMap<MessageId, Identity>, target: ReadonlyMap<MessageId, Identity>): Comparison {
  const onTarget = countIdentities(target.values());
  const remaining = new Map(onTarget);
  const verified: MessageId[] = [];
  let withoutMessageId = 0;
  // Lowest ids first, so that which twin counts as verified does not depend on map order.
  for (const [id, identity] of [...source].sort(([a], [b]) => compareIds(a, b))) {
    if (!identity.startsWith('mid:')) withoutMessageId += 1;
    const left = remaining.get(identity) ?? 0;
    if (left > 0) {
      remaining.set(identity, left - 1);
      verified.push(id);
    }
  }
  return {
    verification: {
      selected: source.size,
      present: verified.length,
      missing: source.size - verified.length,
      duplicates: { source: extraCopies(countIdentities(source.values())), target: extraCopies(onTarget) },
      withoutMessageId,
    },
    verified,
  };
}

function countIdentities(identities: Iterable<Identity>): Map<Identity, number> {
  const counts = new Map<Identity, number>();
  for (const identity of identities) counts.set(identity, (counts.get(identity) ?? 0) + 1);
  return counts;
}

function extraCopies(counts: ReadonlyMap<Identity, number>): number {
  let extra = 0;
  for (const n of counts.values()) extra += n - 1;
  return extra;
}

/** IMAP UIDs compare as numbers; other ids as strings. */
function compareIds(a: string, b: string): number {
  return /^\d+$/.test(a) && /^\d+$/.test(b) ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0;
}
