import { createHash } from 'node:crypto';
import type { ExpungeEvent, ImapFlow, MailboxObject, StatusObject } from 'imapflow';
import { IncompleteListingError, NoUidValidityError } from '../../api/errors.js';
import type { FolderStatus, MessageMeta, ScanResult } from '../../api/types.js';
import { decodeCheckpoint, encodeCheckpoint, type ImapCheckpoint } from './checkpoint.js';
import { ListingBuilder, type Listing } from './listing.js';
import { MAX_UID } from './uid-set.js';
import { openMailbox } from './open-mailbox.js';

const METADATA = { uid: true, flags: true, size: true, internalDate: true } as const;
/** A full listing that does not account for EXISTS is fetched again (after a NOOP) this many times in all. */
const LISTING_ATTEMPTS = 3;

/**
 * Scans the folder at `path` (SELECT, or EXAMINE when `readOnly`):
 *
 * - another UIDVALIDITY than the checkpoint's, or no checkpoint: 'full'
 *   (`UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE)`);
 * - with QRESYNC enabled (it implies CONDSTORE) and the same UIDVALIDITY:
 *   - same HIGHESTMODSEQ: 'unchanged', no FETCH at all;
 *   - a higher one: 'changes', from `UID FETCH 1:4294967295 (...)
 *     (CHANGEDSINCE m VANISHED)` (not `1:*`: a Cyrus bug misses the top UIDs);
 * - without QRESYNC (or in a NOMODSEQ folder) the full list is always
 *   fetched: unchanged UIDNEXT and EXISTS prove that no message came or went,
 *   not that no flag changed, and a missed flag change is a sync bug. The
 *   checkpoint keeps a digest of that list, so an identical list is reported
 *   as 'unchanged' and the engine has nothing to plan. The FETCH costs about
 *   0.5 s per 10k messages on loopback.
 *
 * Nothing is taken on the server's word (DESIGN §5a): a SELECT without
 * UIDVALIDITY fails the folder (NoUidValidityError); a full listing must
 * answer for every message the server counts (EXISTS), or it is fetched
 * again and then fails the folder (IncompleteListingError); a row whose UID
 * is missing, out of range or given to two messages is skipped with its
 * reason (`skipped`), never guessed.
 */
export async function scanMailbox(
  client: ImapFlow,
  path: string,
  options: { readOnly: boolean; checkpoint?: string; folder: string },
): Promise<ScanResult> {
  const vanished = new Set<number>();
  // With QRESYNC enabled, expunges arrive as VANISHED at any time, the SELECT
  // included: listen before it.
  const onExpunge = (event: ExpungeEvent): void => {
    if (event.vanished && event.uid && event.uid <= MAX_UID) vanished.add(event.uid);
  };
  client.on('expunge', onExpunge);
  try {
    const mailbox = await openMailbox(client, path, { readOnly: options.readOnly });
    const status = folderStatus(mailbox, options.folder);
    const base: ImapCheckpoint = {
      uidValidity: status.uidValidity,
      uidNext: status.uidNext ?? 0,
      ...(status.highestModseq ? { highestModseq: status.highestModseq } : {}),
      ...(status.exists !== undefined ? { exists: status.exists } : {}),
    };
    const saved = decodeCheckpoint(options.checkpoint);
    const sameValidity = saved?.uidValidity === status.uidValidity;
    const modseq = status.highestModseq;

    if (modseq && client.enabled.has('QRESYNC')) {
      const checkpoint = encodeCheckpoint(base);
      const since = sameValidity && saved?.highestModseq ? BigInt(saved.highestModseq) : undefined;
      if (since === BigInt(modseq)) return { status, checkpoint, kind: 'unchanged', messages: [], vanished: [] };
      if (since !== undefined && since < BigInt(modseq)) {
        const rows = new ListingBuilder();
        for await (const row of client.fetch(`1:${MAX_UID}`, METADATA, { uid: true, changedSince: since })) rows.add(row);
        return { status, checkpoint, kind: 'changes', ...withSkipped(rows.listing()), vanished: [...vanished].sort((a, b) => a - b).map(String) };
      }
      return { status, checkpoint, kind: 'full', ...withSkipped(await listAll(client, options.folder)), vanished: [] };
    }

    const listing = await listAll(client, options.folder);
    const listDigest = digestOf(listing.messages);
    const checkpoint = encodeCheckpoint({ ...base, listDigest });
    if (sameValidity && saved?.listDigest === listDigest && listing.skipped.length === 0) return { status, checkpoint, kind: 'unchanged', messages: [], vanished: [] };
    return { status, checkpoint, kind: 'full', ...withSkipped(listing), vanished: [] };
  } finally {
    client.off('expunge', onExpunge);
  }
}

/**
 * Every message of the selected folder. The rows must answer for each of
 * the EXISTS messages: imapflow leaves out a row it cannot parse, and a
 * server may send fewer. A short listing is fetched again after a NOOP (the
 * folder may have changed under the FETCH: EXISTS and EXPUNGE responses
 * move the count), and fails the folder when it stays short.
 */
async function listAll(client: ImapFlow, folder: string): Promise<Listing> {
  for (let attempt = 1; ; attempt++) {
    if (currentExists(client) === 0) return { messages: [], skipped: [] };
    const rows = new ListingBuilder();
    for await (const row of client.fetch('1:*', METADATA, { uid: true })) rows.add(row);
    const exists = currentExists(client);
    const unlisted = rows.unlisted(exists);
    if (unlisted === 0) return rows.listing();
    if (attempt === LISTING_ATTEMPTS) {
      throw new IncompleteListingError(folder, `${exists - unlisted} of the ${exists} messages the server counts (EXISTS) came back listed, ${LISTING_ATTEMPTS} times`);
    }
    await client.noop();
  }
}

function currentExists(client: ImapFlow): number {
  return client.mailbox ? client.mailbox.exists : 0;
}

/** The listing's messages, and its skipped rows only when there are some. */
function withSkipped(listing: Listing): Pick<ScanResult, 'messages' | 'skipped'> {
  return listing.skipped.length ? listing : { messages: listing.messages };
}

/** Digest of every UID with its flags: equal digests, same list (size and date never change for a UID). */
function digestOf(messages: MessageMeta[]): string {
  const hash = createHash('sha256');
  for (const message of messages) hash.update(`${message.id} ${[...message.flags].sort().join(' ')}\n`);
  return hash.digest('base64url');
}

function folderStatus(mailbox: MailboxObject, folder: string): FolderStatus {
  // imapflow leaves it undefined (or false) when the SELECT answer carried none; 0 is not a valid one either.
  if (!mailbox.uidValidity) throw new NoUidValidityError(folder);
  const condstore = mailbox.highestModseq !== undefined && !mailbox.noModseq;
  return {
    uidValidity: mailbox.uidValidity.toString(),
    uidNext: mailbox.uidNext,
    ...(condstore ? { highestModseq: mailbox.highestModseq!.toString() } : {}),
    exists: mailbox.exists,
  };
}

/** A STATUS answer (LIST-STATUS) as a FolderStatus; undefined without UIDVALIDITY or a HIGHESTMODSEQ (0: the folder keeps none), which then proves nothing (see unchangedSince). */
export function listedStatus(status: StatusObject): FolderStatus | undefined {
  if (!status.uidValidity || !status.highestModseq) return undefined;
  return {
    uidValidity: status.uidValidity.toString(),
    highestModseq: status.highestModseq.toString(),
    ...(status.uidNext !== undefined ? { uidNext: status.uidNext } : {}),
    ...(status.messages !== undefined ? { exists: status.messages } : {}),
  };
}
