import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** The Maildir spec: a tmp/ file untouched for 36 hours is a leftover of a failed delivery. */
export const STALE_TMP_MS = 36 * 3600 * 1000;

/**
 * Removes stale files from a folder's tmp/. Judged by ctime and atime, which
 * a delivery cannot set into the past (it sets mtime to INTERNALDATE).
 * Returns the removed paths.
 */
export async function removeStaleTmpFiles(tmpDir: string, now: number = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  for (const entry of await readdir(tmpDir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(tmpDir, entry.name);
    try {
      const stats = await stat(path);
      if (now - Math.max(stats.ctimeMs, stats.atimeMs) < STALE_TMP_MS) continue;
      await unlink(path);
      removed.push(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return removed;
}
