import type { FolderStatus } from '../../api/types.js';
/** What `scan` remembers of a folder between runs (opaque to callers, JSON inside). */
export interface ImapCheckpoint {
  uidValidity: string;
  uidNext: number;
  /** Absent when the server or the folder has no CONDSTORE. */
  highestModseq?: string;
  /** Without QRESYNC: digest of the UID+FLAGS list, to tell an unchanged folder. */
  listDigest?: string;
  /** The folder's message count then (EXISTS): with UIDNEXT, tells whether any message left since. */
  exists?: number;
}

export function encodeCheckpoint(checkpoint: ImapCheckpoint): string {
  return JSON.stringify(checkpoint);
}

/** The checkpoint inside `text`, or undefined when there is none or it is unreadable (a full scan follows). */
export function decodeCheckpoint(text: string | undefined): ImapCheckpoint | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<ImapCheckpoint>;
    if (typeof value.uidValidity !== 'string' || !/^\d+$/.test(value.uidValidity)) return undefined;
    if (typeof value.uidNext !== 'number') return undefined;
    if (value.highestModseq !== undefined && !(typeof value.highestModseq === 'string' && /^\d+$/.test(value.highestModseq))) return undefined;
    if (value.listDigest !== undefined && typeof value.listDigest !== 'string') return undefined;
    if (value.exists !== undefined && !Number.isSafeInteger(value.exists)) return undefined;
    return {
      uidValidity: value.uidValidity,
      uidNext: value.uidNext,
      ...(value.highestModseq ? { highestModseq: value.highestModseq } : {}),
      ...(value.listDigest ? { listDigest: value.listDigest } : {}),
      ...(value.exists !== undefined ? { exists: value.exists } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * True when `status` (a STATUS answer: LIST-STATUS) proves the folder
 * unchanged since `checkpoint`: one taken under QRESYNC (no list digest),
 * with the same UIDVALIDITY and HIGHESTMODSEQ. The same proof as a SELECT's
 * (see scanMailbox), without opening the folder.
 */
export function unchangedSince(checkpoint: string | undefined, status: FolderStatus): boolean {
  const saved = decodeCheckpoint(checkpoint);
  return saved !== undefined && saved.listDigest === undefined && saved.highestModseq !== undefined && saved.uidValidity === status.uidValidity && saved.highestModseq === status.highestModseq;
}

/**
 * True when `status` (LIST-STATUS) proves that every message the folder held
 * at `checkpoint` is still there: as many messages now as then plus those
 * given a UID since (an arrival expunged since counts as a departure).
 */
export function keptSince(checkpoint: string | undefined, status: FolderStatus): boolean {
  const saved = decodeCheckpoint(checkpoint);
  if (saved?.exists === undefined || saved.uidValidity !== status.uidValidity || status.exists === undefined || status.uidNext === undefined) return false;
  return status.exists === saved.exists + (status.uidNext - saved.uidNext);
}
