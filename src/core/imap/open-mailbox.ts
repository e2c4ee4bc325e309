import type { ImapFlow, MailboxObject } from 'imapflow';
import { internalsOf } from './imapflow-internals.js';

/**
 * SELECT (EXAMINE when `readOnly`) of `path`, in one round trip.
 *
 * imapflow sends `LIST "" path` and `LSUB "" path` before selecting a folder
 * its session has not listed, only to put the folder's delimiter and special
 * use into the mailbox object, which imapfw never reads (it has them from the
 * account's listing). Every connection but the one that listed paid two round
 * trips per folder: on a 30 ms link, 60 ms before each folder's first FETCH.
 * A folder that does not exist still fails the SELECT, and imapflow still
 * lists it then, to tell a missing folder from a refused one.
 */
export async function openMailbox(client: ImapFlow, path: string, options?: { readOnly?: boolean }): Promise<MailboxObject> {
  const { folders } = internalsOf(client);
  if (folders && !folders.has(path)) folders.set(path, { path });
  return client.mailboxOpen(path, options);
}
