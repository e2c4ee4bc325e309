import { lstatSync, readdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { entryKind } from './entry-kind.js';
import { INBOX, inboxDirOf, folderOfFlatDir, folderOfMaildirPlusPlusDir, folderOfNestedDirs, folderPathSegments, literalFolderOf, type MaildirLayout } from './folder-names.js';
import type { ForeignEntry } from './foreign-entry.js';
import { KEYWORDS_FILE } from './keywords.js';
import { UID_VALIDITY_FILE } from './uid-validity.js';
import { modifiedUtf7Name } from './utf7-names.js';

export interface FolderDir {
  /** The folder name as stored here (before any nameTrans). */
  name: string;
  path: string;
}

/** A directory that holds mail (cur/) under a name this scheme does not write: not read, but not to be passed over in silence. */
export interface MisnamedFolderDir {
  /** Its path relative to the root ('.Odd%Name', 'A/Odd%Name'; '.' for the root). */
  dir: string;
  /** The folder its name reads as, and the directory this scheme writes for it (see literalFolderOf). */
  literal?: { name: string; path: string };
  /** Where INBOX is the question: the root's own mail with INBOX in a directory, or an 'INBOX' directory with INBOX the root. */
  inbox?: 'root' | 'directory';
  /** Named in modified UTF-7 by another tool (see utf7-names.ts): the folder it stands for, and the directory this scheme writes for it. */
  utf7?: { name: string; path: string };
}

export const MESSAGE_DIRS: ReadonlySet<string> = new Set(['cur', 'new', 'tmp']);
/** Files a folder directory may hold: ours, Dovecot's keywords, the Maildir++ marker; plus our transient lock/temp files. */
function isFolderFile(name: string): boolean {
  return name === KEYWORDS_FILE || name === UID_VALIDITY_FILE || name === 'maildirfolder' || name === `${KEYWORDS_FILE}.lock` || name.startsWith(`${UID_VALIDITY_FILE}.`);
}

/**
 * Finds every folder under the root (INBOX first when it is the root itself;
 * with `inbox`, nested layout, INBOX is that directory's, when it has cur/)
 * and the entries that are neither folders nor folder files. Symlinks are
 * never followed.
 */
export async function listFolderDirs(root: string, layout: MaildirLayout, inbox?: string): Promise<{ folders: FolderDir[]; misnamed: MisnamedFolderDir[]; foreign: ForeignEntry[] }> {
  const folders: FolderDir[] = inbox === undefined && hasCur(root) ? [{ name: INBOX, path: root }] : [];
  const misnamed: MisnamedFolderDir[] = [];
  const foreign: ForeignEntry[] = [];
  // The root's own messages are no folder's when INBOX has a directory: not read, but said.
  if (inbox !== undefined && holdsMessages(root)) misnamed.push({ dir: '.', inbox: 'root' });
  if (layout === 'nested') {
    await walkNested(root, [], inbox, folders, misnamed, foreign);
    return { folders, misnamed, foreign };
  }
  if (layout === 'flat') {
    await listFlat(root, inboxDirOf('flat', inbox)!, folders, misnamed, foreign);
    return { folders, misnamed, foreign };
  }
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    const kind = await entryKind(entry, path);
    if (kind === 'directory' && entry.name.startsWith('.')) {
      const name = folderOfMaildirPlusPlusDir(entry.name);
      if (name === undefined && hasCur(path)) misnamed.push(misnamedDir([entry.name], layout));
      else if (name === undefined) foreign.push({ path, reason: 'a directory whose name is not an escaped folder name' });
      else if (!hasCur(path)) foreign.push({ path, reason: 'a directory without cur/' });
      else if (!(await isUtf7Named(name, [entry.name], layout, undefined, misnamed))) {
        folders.push({ name, path });
        await checkFolderEntries(path, foreign);
      }
    } else if (!isOwnEntry(entry.name, kind)) {
      foreign.push({ path, reason: describe(kind) });
    }
  }
  return { folders, misnamed, foreign };
}

/** The flat layout's folders: every directory at the top but cur/, new/ and tmp/. */
async function listFlat(root: string, inbox: string, folders: FolderDir[], misnamed: MisnamedFolderDir[], foreign: ForeignEntry[]): Promise<void> {
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    const kind = await entryKind(entry, path);
    if (kind !== 'directory' || MESSAGE_DIRS.has(entry.name)) {
      if (!isOwnEntry(entry.name, kind)) foreign.push({ path, reason: describe(kind) });
      continue;
    }
    const name = folderOfFlatDir(entry.name, inbox);
    if (name === undefined && hasCur(path)) misnamed.push(misnamedDir([entry.name], 'flat', inbox));
    else if (name === undefined) foreign.push({ path, reason: 'a directory whose name is not an escaped folder name' });
    else if (!hasCur(path)) foreign.push({ path, reason: 'a directory without cur/' });
    else if (!(await isUtf7Named(name, [entry.name], 'flat', inbox, misnamed))) {
      folders.push({ name, path });
      await checkFolderEntries(path, foreign);
    }
  }
  // INBOX first, as when it is the root.
  const at = folders.findIndex((folder) => folder.name === INBOX);
  if (at > 0) folders.unshift(...folders.splice(at, 1));
}

/** Whether the folder `name` (in `dirs`) is named in modified UTF-7; if so, it goes to `misnamed`. */
async function isUtf7Named(name: string, dirs: readonly string[], layout: MaildirLayout, inbox: string | undefined, misnamed: MisnamedFolderDir[]): Promise<boolean> {
  const decoded = await modifiedUtf7Name(name);
  if (decoded === undefined) return false;
  let path: string;
  try {
    path = folderPathSegments(decoded, layout, inbox).join('/');
  } catch {
    return false;
  }
  misnamed.push({ dir: dirs.join('/'), utf7: { name: decoded, path } });
  return true;
}

function misnamedDir(dirs: readonly string[], layout: MaildirLayout, inbox?: string): MisnamedFolderDir {
  const literal = literalFolderOf(dirs, layout, inbox);
  return { dir: dirs.join('/'), ...(literal ? { literal } : {}) };
}

/** Returns whether the directory holds a folder at any depth. */
async function walkNested(dir: string, dirs: string[], inbox: string | undefined, folders: FolderDir[], misnamed: MisnamedFolderDir[], foreign: ForeignEntry[]): Promise<boolean> {
  let found = false;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const kind = await entryKind(entry, path);
    if (kind !== 'directory') {
      if (!isOwnEntry(entry.name, kind)) foreign.push({ path, reason: describe(kind) });
      continue;
    }
    if (MESSAGE_DIRS.has(entry.name)) continue;
    const childDirs = [...dirs, entry.name];
    const name = folderOfNestedDirs(childDirs, inbox);
    // 'INBOX/' holds INBOX's sub-folders (INBOX itself is the root); its own mail is another tool's INBOX (mbsync's).
    const inboxParent = inbox === undefined && childDirs.length === 1 && entry.name === INBOX;
    const inboxParentHoldsMail = inboxParent && hasCur(path);
    if (inboxParentHoldsMail) misnamed.push({ dir: entry.name, inbox: 'directory' });
    if (name === undefined && !inboxParent) {
      if (hasCur(path)) misnamed.push(misnamedDir(childDirs, 'nested', inbox));
      else foreign.push({ path, reason: 'a directory whose name is not an escaped folder name' });
      continue;
    }
    const isFolder = name !== undefined && hasCur(path) && !(await isUtf7Named(name, childDirs, 'nested', inbox, misnamed));
    if (isFolder) folders.push({ name, path });
    const inside: ForeignEntry[] = [];
    const holdsFolders = await walkNested(path, childDirs, inbox, folders, misnamed, inside);
    // A directory holding no folder at all is reported as one entry, not entry by entry.
    if (!isFolder && !holdsFolders && !inboxParentHoldsMail) foreign.push({ path, reason: 'a directory without cur/ or folders' });
    else foreign.push(...inside);
    found ||= isFolder || holdsFolders;
  }
  return found;
}

async function checkFolderEntries(folderDir: string, foreign: ForeignEntry[]): Promise<void> {
  for (const entry of await readdir(folderDir, { withFileTypes: true })) {
    const path = join(folderDir, entry.name);
    const kind = await entryKind(entry, path);
    if (!isOwnEntry(entry.name, kind)) foreign.push({ path, reason: describe(kind) });
  }
}

function isOwnEntry(name: string, kind: string): boolean {
  return kind === 'directory' ? MESSAGE_DIRS.has(name) : kind === 'file' && isFolderFile(name);
}

function describe(kind: string): string {
  return kind === 'file' ? 'a file that is not part of the Maildir' : kind === 'directory' ? 'a directory that is not a folder' : 'not a regular file or directory';
}

/** Whether the folder directory's cur/ or new/ holds an entry. */
function holdsMessages(folderDir: string): boolean {
  return ['cur', 'new'].some((sub) => {
    try {
      return readdirSync(join(folderDir, sub)).length > 0;
    } catch {
      return false;
    }
  });
}

export function hasCur(folderDir: string): boolean {
  try {
    // Synchronous, as the other metadata reads of one file: from the dentry cache in microseconds, less than a hop
    // through libuv's thread pool, which on two cores also takes the core from the main thread.
    return lstatSync(join(folderDir, 'cur')).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw error;
  }
}
