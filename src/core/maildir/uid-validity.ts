import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '../../api/errors.js';
import { fsyncDir } from './fsync-dir.js';
import { uniqueName } from './unique-name.js';

/** Holds the folder's UIDVALIDITY-like value: a new one means "forget the ids you knew". */
export const UID_VALIDITY_FILE = 'imapfw-uidvalidity';

/** What a folder without a uidValidity yet reports when it may not be created (a dry run): never a real value. */
export const PROVISIONAL_UID_VALIDITY = 'provisional';

/**
 * The folder's stable uidValidity, created on first use (unless `create` is
 * false). Creation writes a temporary file and hard-links it into place, so
 * two processes racing agree on one value and a reader never sees a
 * half-written file.
 */
export async function readOrCreateUidValidity(folderDir: string, options: { fsync: boolean; create?: boolean }): Promise<string> {
  const path = join(folderDir, UID_VALIDITY_FILE);
  const existing = await readValue(path);
  if (existing) return existing;
  if (options.create === false) return PROVISIONAL_UID_VALIDITY;

  const tmpPath = `${path}.${uniqueName()}`;
  const handle = await open(tmpPath, 'wx');
  try {
    await handle.writeFile(`${randomInt(1, 2 ** 32 - 1)}\n`);
    if (options.fsync) await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(tmpPath, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(tmpPath);
  }
  if (options.fsync) await fsyncDir(folderDir);
  const value = await readValue(path);
  if (!value) throw new StoreError(`${path} is empty; remove it to give the folder a new uidValidity (its messages will be paired again by identity)`);
  return value;
}

async function readValue(path: string): Promise<string | undefined> {
  try {
    // Synchronous: one small file, read at every operation on a folder (see hasCur).
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
