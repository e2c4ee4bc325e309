import type { FolderRef, Identity, MessageId, Side } from '../types.js';

/**
 * The identities a folder sync saw, per side, of the folder under the
 * UIDVALIDITY it was listed with: the plan's, and those of the copies it
 * stored (the IMAP repository finds each copy again by identity after its
 * APPEND). An IMAP UID names the same message for as long as its folder
 * keeps its UIDVALIDITY (a UID is never reused, a message never changes),
 * so a later check of the folder need not ask the server again. Holds one
 * folder per side: the last one seen.
 */
export class SeenIdentities {
  private readonly seen: Partial<Record<Side, { folder: FolderRef; identities: Map<MessageId, Identity> }>> = {};

  /** Adds what was seen of `folder` (what was seen of another folder on that side is forgotten). */
  add(side: Side, folder: FolderRef, identities: Iterable<readonly [MessageId, Identity]>): void {
    let entry = this.seen[side];
    if (!entry || !sameFolder(entry.folder, folder)) entry = this.seen[side] = { folder, identities: new Map() };
    for (const [id, identity] of identities) entry.identities.set(id, identity);
  }

  /** What was seen of `folder` under this very UIDVALIDITY; nothing after a renumbering. */
  of(side: Side, folder: FolderRef): ReadonlyMap<MessageId, Identity> {
    const entry = this.seen[side];
    return entry && sameFolder(entry.folder, folder) ? entry.identities : new Map();
  }
}

function sameFolder(a: FolderRef, b: FolderRef): boolean {
  return a.name === b.name && a.uidValidity === b.uidValidity;
}
