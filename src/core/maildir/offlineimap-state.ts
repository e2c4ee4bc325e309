/**
 * offlineimap's record of a Maildir folder's last sync, read so that
 * imapfw's first sync of a folder offlineimap kept has a base (see
 * mbsync-state.ts for why).
 *
 * offlineimap keeps, in its metadata directory (`~/.offlineimap`):
 * - `Account-<name>/LocalStatus-sqlite/<folder>`: an SQLite table `status`
 *   of the server UIDs it synced, with the flags both sides had (`S`, `FS`);
 * - `Repository-<name>/FolderValidity/<folder>`: each repository's
 *   UIDVALIDITY of the folder, the server's among them;
 * with `<folder>` the local name, `/` written `.`. Its Maildir file names
 * carry the server's UID (`,U=<uid>`) and the MD5 of the local folder's
 * name (`,FMD5=`): a file whose FMD5 names another folder was moved here,
 * and is no message of this folder's record. This module loads the SQLite
 * driver: import it only to read such a record.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { MessageId, PriorSync } from '../../api/types.js';
import { openSqlite } from '../state/open-sqlite.js';
import { STATUS_DIR, PLAIN_STATUS_DIR } from './offlineimap-account.js';
import { idsByUid, recordFlags, recordPairs, refusedRecord, type RecordEntry } from './prior-record.js';

/**
 * offlineimap's record of `folder` (a canonical name), whose messages here
 * are `ids`, from the account directory `accountDir`; undefined when it
 * kept none. `serverUidValidity` is the server folder's now: one of the
 * repositories must have recorded it.
 */
export function readOfflineimapRecord(accountDir: string, folder: string, ids: readonly MessageId[], serverUidValidity: string): PriorSync | undefined {
  const name = folder.replaceAll('/', '.');
  const statusFile = join(accountDir, STATUS_DIR, name);
  if (!existsSync(statusFile)) {
    if (existsSync(join(accountDir, PLAIN_STATUS_DIR, name))) return refusedRecord('offlineimap', `its record is in the plain-text format (status_backend = plain), which is not read`);
    return undefined;
  }
  const rows = readStatus(statusFile);
  if (typeof rows === 'string') return refusedRecord('offlineimap', `${statusFile} is not as offlineimap writes it: ${rows}`);
  const validities = repositoryValidities(dirname(accountDir), name);
  if (validities.length === 0) return refusedRecord('offlineimap', `no repository beside ${accountDir} recorded the server folder's UIDVALIDITY (Repository-*/FolderValidity/${name})`);
  // The MD5 of the folder's local name: 'Lists.dev' in offlineimap's default layout, 'Lists/dev' with sep = /.
  const md5s = new Set([name, folder].map((local) => createHash('md5').update(local).digest('hex')));
  const own = (id: MessageId) => {
    const fmd5 = /,FMD5=([0-9a-f]{32})(?:,|$)/.exec(id)?.[1];
    return fmd5 === undefined || md5s.has(fmd5);
  };
  const entries: RecordEntry[] = rows.map(({ uid, flags }) => ({ server: uid, local: uid, flags }));
  // Which repository is the server is in offlineimap's config, not here: the record holds if one of them recorded the UIDVALIDITY the server has now.
  if (!validities.includes(serverUidValidity)) {
    return refusedRecord('offlineimap', `the server folder's UIDVALIDITY is ${serverUidValidity} now, and its repositories recorded ${validities.join(', ')}`);
  }
  return { tool: 'offlineimap', serverUidValidity, pairs: recordPairs('offlineimap', entries, idsByUid(ids, own)) };
}

function readStatus(path: string): { uid: number; flags: string[] }[] | string {
  let db: ReturnType<typeof openSqlite>;
  try {
    db = openSqlite(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    return (error as Error).message;
  }
  try {
    const rows = db.prepare('SELECT id, flags FROM status ORDER BY id').all() as { id: unknown; flags: unknown }[];
    const result: { uid: number; flags: string[] }[] = [];
    for (const { id, flags } of rows) {
      const letters = typeof flags === 'string' ? recordFlags(flags) : undefined;
      if (typeof id !== 'number' || !Number.isInteger(id) || id <= 0 || letters === undefined) return `a row reads ${JSON.stringify({ id, flags })}`;
      result.push({ uid: id, flags: letters });
    }
    return result;
  } catch (error) {
    return (error as Error).message;
  } finally {
    db.close();
  }
}

/** The UIDVALIDITYs the metadata directory's repositories recorded of the folder (the server's is one of them). */
function repositoryValidities(metadataDir: string, name: string): string[] {
  const values: string[] = [];
  for (const repository of readdirSync(metadataDir).filter((entry) => entry.startsWith('Repository-')).sort()) {
    const file = join(metadataDir, repository, 'FolderValidity', name);
    if (existsSync(file)) values.push(readFileSync(file, 'utf8').trim());
  }
  return values;
}
