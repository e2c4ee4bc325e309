import { retrying, type FolderRef, type Identity, type MessageId, type Remote, type Repository } from '../../api/index.js';

/**
 * Whether the target folder is the source folder itself, reached another
 * way: `imap://` on 143 and `imaps://` on 993 of one server, a DNS alias, a
 * proxy, one shared folder seen from two accounts. The names cannot tell
 * (args.ts refuses what they can); every source message is then "found on
 * the target", and --delete-source would delete the only copy.
 */
export type SameFolderVerdict =
  /** Told apart: another UIDVALIDITY or other UIDs, or a probe set on the target did not show on the source. */
  | 'distinct'
  /** A keyword set on the target message showed on the source message of the same UID. */
  | 'same'
  /** Alike in every way, and the probe could not be set (the target refused the keyword). */
  | 'alike';

/** The keyword the probe sets on one target message and then removes. */
export const PROBE_KEYWORD = '$ImapfwProbe';

/** A folder as the check listed it: its UIDVALIDITY and the identities of its messages by UID. */
export interface IdentifiedFolder {
  ref: FolderRef;
  identities: ReadonlyMap<MessageId, Identity>;
}

/**
 * Alike: the same UIDVALIDITY, and every verified source message at the
 * same UID on the target with the same identity. Two accounts are alike
 * only by chance (two folders made in the same second, mail appended in
 * UID order to a source with no gap in its UIDs) or by a copy that kept
 * the UIDs (dsync); one folder always is.
 */
export function alike(source: IdentifiedFolder, target: IdentifiedFolder, verified: readonly MessageId[]): boolean {
  if (source.ref.uidValidity !== target.ref.uidValidity) return false;
  return verified.every((id) => {
    const identity = target.identities.get(id);
    return identity !== undefined && identity === source.identities.get(id);
  });
}

/**
 * Tells two alike folders apart: sets PROBE_KEYWORD on the target message
 * `id`, lists both folders, and looks for the keyword on the source message
 * of the same UID. The keyword is removed from the target afterwards (and
 * so from the source, when it is the same folder).
 */
export async function probeSameFolder(
  repositories: { source: Remote<Repository>; target: Remote<Repository> },
  refs: { source: FolderRef; target: FolderRef },
  id: MessageId,
): Promise<SameFolderVerdict> {
  const probe = { id, add: [PROBE_KEYWORD], remove: [] };
  try {
    await retrying(() => repositories.target.setFlags(refs.target, [probe]));
  } catch {
    return 'alike';
  }
  try {
    const [source, target] = await Promise.all([
      retrying(() => repositories.source.scan(refs.source.name)),
      retrying(() => repositories.target.scan(refs.target.name)),
    ]);
    const probed = (messages: typeof source.messages) => messages.find((message) => message.id === id)?.flags.includes(PROBE_KEYWORD) === true;
    if (!probed(target.messages)) return 'alike';
    return probed(source.messages) ? 'same' : 'distinct';
  } finally {
    await retrying(() => repositories.target.setFlags(refs.target, [{ id, add: [], remove: [PROBE_KEYWORD] }]));
  }
}
