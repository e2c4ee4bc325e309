import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { entryKind } from './entry-kind.js';
import { parseFileName } from './file-name.js';
import type { ForeignEntry } from './foreign-entry.js';

export type MessageSubdir = 'new' | 'cur';

/** A message file found in new/ or cur/. */
export interface MessageFile {
  id: string;
  subdir: MessageSubdir;
  /** The file name, info part included. */
  name: string;
  letters: string;
}

export interface MessageListing {
  files: Map<string, MessageFile>;
  foreign: ForeignEntry[];
}

/**
 * Lists a folder's messages: new/ first, then cur/, so that a message
 * another client moves from new/ to cur/ meanwhile is seen twice (and
 * counted once), never missed. Files in new/ may lack the ':2,' info part;
 * in cur/ a file without it is not a message.
 */
export async function listMessageFiles(folderDir: string): Promise<MessageListing> {
  const files = new Map<string, MessageFile>();
  const foreign: ForeignEntry[] = [];
  for (const subdir of ['new', 'cur'] as const) {
    const dir = join(folderDir, subdir);
    const setAside = (name: string, reason: string) => foreign.push({ path: join(dir, name), reason });
    // new/ may be missing (a folder made by hand); a missing cur/ means the folder is gone: an error, never "empty".
    for (const entry of subdir === 'new' ? await readdirIfExists(dir) : await readdir(dir, { withFileTypes: true })) {
      // Most entries are plain files the directory listing says are: no path built, no wait (a folder has thousands).
      const kind = entry.isFile() ? 'file' : await entryKind(entry, join(dir, entry.name)).catch(() => 'gone' as const);
      if (kind === 'gone') continue;
      if (kind !== 'file') {
        setAside(entry.name, kind === 'directory' ? 'a directory among messages' : 'not a regular file');
        continue;
      }
      if (entry.name.startsWith('.')) {
        setAside(entry.name, 'a hidden file among messages');
        continue;
      }
      const parsed = parseFileName(entry.name);
      if (subdir === 'cur' && !parsed.hasFlagInfo) {
        setAside(entry.name, "a file in cur/ without a ':2,' info part");
        continue;
      }
      const seen = files.get(parsed.id);
      if (seen?.subdir === 'cur') {
        setAside(entry.name, `another file has the same unique name: ${seen.name}`);
        continue;
      }
      files.set(parsed.id, { id: parsed.id, subdir, name: entry.name, letters: parsed.letters });
    }
  }
  return { files, foreign };
}

async function readdirIfExists(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
