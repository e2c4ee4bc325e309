import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { safeHostname } from './unique-name.js';

/** The Maildir spec: a tmp/ file untouched for 36 hours is a leftover of a failed delivery. */
export const STALE_TMP_MS = 36 * 3600 * 1000;

/** A name a draft gets in tmp/: `<s>.M<us>P<pid>Q<n>R<hex>.<host>` (see unique-name.ts), with `,S=<n>,W=<n>` in older versions. */
const OUR_TMP_NAME = /^\d+\.M\d+P(\d+)Q\d+R[0-9a-f]+\.([^,]+)(?:,S=\d+,W=\d+)?$/;

/**
 * Removes leftovers from a folder's tmp/: a file untouched for 36 hours
 * (the spec's rule, judged by ctime and atime, which a delivery cannot set
 * into the past: it sets mtime to INTERNALDATE), and at once a file that
 * imapfw itself wrote on this host (our name, our host part) for a process
 * that no longer exists (a killed run). A file of a live process, of
 * another host or of another program waits for the 36 hours. Were a pid
 * ever misjudged (a container sharing the Maildir and the host name), the
 * writer's rename would fail and its delivery be retried: nothing is lost.
 * Returns the removed paths.
 */
export async function removeStaleTmpFiles(tmpDir: string, now: number = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  for (const entry of await readdir(tmpDir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(tmpDir, entry.name);
    try {
      if (!isOfDeadDelivery(entry.name)) {
        const stats = await stat(path);
        if (now - Math.max(stats.ctimeMs, stats.atimeMs) < STALE_TMP_MS) continue;
      }
      await unlink(path);
      removed.push(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return removed;
}

function isOfDeadDelivery(name: string): boolean {
  const match = OUR_TMP_NAME.exec(name);
  if (!match || match[2] !== safeHostname()) return false;
  const pid = Number(match[1]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: alive, another user's.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
