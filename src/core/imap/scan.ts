import type { ExpungeEvent, FetchMessageObject, ImapFlow, MailboxObject } from 'imapflow';
import type { FolderStatus, MessageMeta, ScanResult } from '../../api/types.js';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint.js';
import { flagList, toMillis } from './fields.js';

const METADATA = { uid: true, flags: true, size: true, internalDate: true } as const;

/**
 * Scans the folder at `path` (SELECT, or EXAMINE when `readOnly`):
 *
 * - another UIDVALIDITY than the checkpoint's, or no checkpoint: 'full'
 *   (`UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE)`);
 * - with QRESYNC enabled (it implies CONDSTORE) and the same UIDVALIDITY:
 *   - same HIGHESTMODSEQ: 'unchanged', no FETCH at all;
 *   - a higher one: 'changes', from `UID FETCH 1:4294967295 (...)
 *     (CHANGEDSINCE m VANISHED)` (not `1:*`: a Cyrus bug misses the top UIDs);
 * - otherwise 'full'. Without QRESYNC, HIGHESTMODSEQ need not move on an
 *   expunge, and unchanged UIDNEXT and EXISTS prove that no message came or
 *   went but not that no flag changed: a missed flag change is a sync bug,
 *   and a UID+FLAGS list is cheap (about 0.5 s per 10k messages on loopback).
 */
export async function scanMailbox(
  client: ImapFlow,
  path: string,
  options: { readOnly: boolean; checkpoint?: string },
): Promise<ScanResult> {
  const vanished = new Set<number>();
  // With QRESYNC enabled, expunges arrive as VANISHED at any time, the SELECT
  // included: listen before it.
  const onExpunge = (event: ExpungeEvent): void => {
    if (event.vanished && event.uid) vanished.add(event.uid);
  };
  client.on('expunge', onExpunge);
  try {
    const mailbox = await client.mailboxOpen(path, { readOnly: options.readOnly });
    const status = folderStatus(mailbox);
    const checkpoint = encodeCheckpoint({
      uidValidity: status.uidValidity,
      uidNext: status.uidNext ?? 0,
      ...(status.highestModseq ? { highestModseq: status.highestModseq } : {}),
    });
    const saved = decodeCheckpoint(options.checkpoint);
    const modseq = status.highestModseq;
    if (saved && saved.uidValidity === status.uidValidity && saved.highestModseq && modseq && client.enabled.has('QRESYNC')) {
      const since = BigInt(saved.highestModseq);
      if (since === BigInt(modseq)) {
        return { status, checkpoint, kind: 'unchanged', messages: [], vanished: [] };
      }
      if (since < BigInt(modseq)) {
        const rows = await client.fetchAll('1:4294967295', METADATA, { uid: true, changedSince: since });
        return { status, checkpoint, kind: 'changes', messages: toMetas(rows), vanished: [...vanished].sort((a, b) => a - b).map(String) };
      }
    }
    const rows = mailbox.exists > 0 ? await client.fetchAll('1:*', METADATA, { uid: true }) : [];
    return { status, checkpoint, kind: 'full', messages: toMetas(rows), vanished: [] };
  } finally {
    client.off('expunge', onExpunge);
  }
}

function folderStatus(mailbox: MailboxObject): FolderStatus {
  const condstore = mailbox.highestModseq !== undefined && !mailbox.noModseq;
  return {
    uidValidity: mailbox.uidValidity.toString(),
    uidNext: mailbox.uidNext,
    ...(condstore ? { highestModseq: mailbox.highestModseq!.toString() } : {}),
    exists: mailbox.exists,
  };
}

function toMetas(rows: FetchMessageObject[]): MessageMeta[] {
  return rows
    .filter((row) => row.uid > 0)
    .map((row) => ({ id: String(row.uid), flags: flagList(row.flags), size: row.size ?? 0, internalDate: toMillis(row.internalDate) }))
    .sort((a, b) => Number(a.id) - Number(b.id));
}
