import type { Dirent } from 'node:fs';
import { lstat } from 'node:fs/promises';

export type EntryKind = 'file' | 'directory' | 'other';

/** What a directory entry is, asking lstat when the file system does not say (DT_UNKNOWN). Symlinks count as 'other': never followed. */
export async function entryKind(entry: Dirent, path: string): Promise<EntryKind> {
  if (entry.isFile()) return 'file';
  if (entry.isDirectory()) return 'directory';
  if (entry.isSymbolicLink() || entry.isFIFO() || entry.isSocket() || entry.isBlockDevice() || entry.isCharacterDevice()) return 'other';
  const stats = await lstat(path);
  return stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : 'other';
}
