import { accessSync, constants, existsSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ConfigError } from '../../api/errors.js';
import { NOT_WRITABLE_CODES } from '../not-writable.js';
import type { MaildirLayout } from './folder-names.js';
import { hasCur } from './list-folders.js';
import { UID_VALIDITY_FILE } from './uid-validity.js';

/** Files a Maildir tree holds at its top besides folders: Dovecot's, Courier's, imapfw's, the Maildir++ marker. */
const MAIL_TOOL_FILE = /^(?:dovecot|courier|imapfw-)|^(?:subscriptions|maildirfolder)$/i;

/** How the Maildir is to be read: its layout and INBOX's directory (see MaildirOptions). */
export interface MaildirScheme {
  layout?: MaildirLayout;
  inbox?: string;
}

/**
 * Throws a ConfigError when `root` is no place to make a Maildir (INBOX's
 * cur/, new/ and tmp/): a directory with no INBOX and no folder (a directory
 * with cur/) at its top, that holds files of its own (dotfiles and mail
 * tools' files aside). A home or project directory given by mistake is
 * refused before anything is written into it; a new or empty directory
 * passes, and so does any Maildir tree: one whose INBOX is elsewhere
 * (mbsync's), or a nested one whose top holds only parent directories. A
 * Maildir to be made where this user cannot write (a read-only mount,
 * another user's directory) is refused too, and so is another tool's tree
 * that `scheme` would misread: its folders in the other layout, or its
 * INBOX in a directory while INBOX is to be the root. Either way imapfw
 * would make a second INBOX and download every message again beside it.
 * So is a root that is a file, or lies under one.
 */
export function checkMaildirRoot(root: string, scheme: MaildirScheme = {}): void {
  const inboxDir = scheme.inbox === undefined ? root : join(root, scheme.inbox);
  if (hasCur(inboxDir)) {
    if (scheme.layout !== undefined) refuseOtherLayout(root, inboxDir, scheme);
    return;
  }
  if (scheme.inbox !== undefined && hasCur(root)) {
    const layout = scheme.layout === 'flat' ? '--layout maildir++ (or nested)' : 'no --inbox';
    throw new ConfigError(`${root} is itself INBOX (it has cur/), and ${root}/${scheme.inbox} is none: run with ${layout} to read it (as it is, INBOX would be made again beside it)`);
  }
  checkNoFileInTheWay(root);
  checkWritable(root, root);
  let entries;
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // made when the Maildir is
    throw error;
  }
  const others = otherEntries(entries);
  const folders = foldersAmong(root, others);
  if (scheme.layout !== undefined) checkLayout(root, folders, scheme);
  const files = others.filter((entry) => !entry.isDirectory());
  if (files.length === 0 || others.some((entry) => entry.name === 'cur') || folders.length > 0) return;
  const named = others.map((entry) => entry.name).sort().slice(0, 3).join(', ');
  throw new ConfigError(
    `${root} is not a Maildir and not empty (it holds ${named}${others.length > 3 ? `, and ${others.length - 3} more` : ''}, and no cur/ nor folder): give a new or empty directory, or an existing Maildir`,
  );
}

/** The entries at the top of a root that are not dotfiles nor mail tools' files. */
function otherEntries(entries: Dirent[]): Dirent[] {
  return entries.filter((entry) => !(entry.name.startsWith('.') && !entry.isDirectory()) && !MAIL_TOOL_FILE.test(entry.name));
}

function foldersAmong(root: string, entries: Dirent[]): Dirent[] {
  return entries.filter((entry) => entry.isDirectory() && entry.name !== 'cur' && hasCur(join(root, entry.name)));
}

const some = (names: string[]) => names.sort().slice(0, 3).map((name) => `${name}/`).join(', ');

/** offlineimap's default (sep = .): 'Lists/dev' is Lists.dev/ beside INBOX/. Read in another layout, it would be a folder "Lists.dev". */
function refuseOfflineimapTree(root: string, folders: Dirent[], { layout }: MaildirScheme): void {
  const plain = folders.filter((entry) => !entry.name.startsWith('.')).map((entry) => entry.name);
  const inboxLike = plain.find((name) => /^inbox$/i.test(name));
  const flat = plain.filter((name) => name.includes('.'));
  const inboxOption = inboxLike === undefined || inboxLike === 'INBOX' ? '' : ` --inbox ${inboxLike}`;
  if (inboxLike !== undefined && flat.length > 0 && layout !== 'flat') {
    throw new ConfigError(
      `${root} holds folders named as offlineimap names them by default (${some(flat)} beside ${inboxLike}/: its "sep = ."): run with --layout flat${inboxOption} to read them, or give another directory (as it is, every message would be downloaded again beside them)`,
    );
  }
}

/**
 * Refuses a tree whose INBOX is there but whose folders are laid out the way
 * another layout names them: a layout never names its own folders so, and
 * read as they are, each would be made again beside them. (Maildir++ is not
 * checked: its root may hold other Maildirs a delivery agent keeps.)
 */
function refuseOtherLayout(root: string, inboxDir: string, scheme: MaildirScheme): void {
  const entries = otherEntries(readdirSync(root, { withFileTypes: true }));
  const folders = foldersAmong(root, entries);
  const dotted = folders.filter((entry) => entry.name.startsWith('.')).map((entry) => entry.name);
  if (scheme.layout !== 'maildir++' && dotted.length > 0) {
    throw new ConfigError(`${root} holds Maildir++ folders (${some(dotted)}) beside its INBOX: run with --layout maildir++ to read them, or give another directory (as it is, every message would be downloaded again beside them)`);
  }
  // offlineimap's INBOX/ is where --inbox INBOX looks for mbsync's: its folders beside it must not be read as nested ones.
  if (scheme.layout === 'nested' && scheme.inbox !== undefined && !existsSync(join(inboxDir, UID_VALIDITY_FILE))) refuseOfflineimapTree(root, folders, scheme);
  if (scheme.layout === 'flat') {
    const nested = nestedParents(root, entries);
    if (nested.length > 0) {
      throw new ConfigError(`${root} holds folders in the nested layout (${some(nested)}): run with --layout nested --inbox ${basename(inboxDir)} to read them, or give another directory (as it is, every message would be downloaded again beside them)`);
    }
  }
}

/** Directories among `entries`, the top of `root` (not dotted), that hold a folder (a directory with cur/): the nested layout's parents. */
function nestedParents(root: string, entries: Dirent[]): string[] {
  return entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && !MESSAGE_DIR.test(entry.name))
    .filter((entry) => {
      const dir = join(root, entry.name);
      return readdirSync(dir, { withFileTypes: true }).some((child) => child.isDirectory() && !MESSAGE_DIR.test(child.name) && hasCur(join(dir, child.name)));
    })
    .map((entry) => entry.name);
}

const MESSAGE_DIR = /^(cur|new|tmp)$/;

/** Refuses a tree of folders (directories with cur/, at the top of a root that has no INBOX yet) that `scheme` would not read as it is. */
function checkLayout(root: string, folders: Dirent[], { layout, inbox }: MaildirScheme): void {
  const dotted = folders.filter((entry) => entry.name.startsWith('.')).map((entry) => entry.name);
  const plain = folders.filter((entry) => !entry.name.startsWith('.')).map((entry) => entry.name);
  const inboxLike = plain.find((name) => /^inbox$/i.test(name));
  refuseOfflineimapTree(root, folders, { layout });
  if (layout === 'flat' && inboxLike !== undefined && inboxLike !== inbox) {
    throw new ConfigError(`${root}/${inboxLike} holds an INBOX, and ${root}/${inbox} is none: run with --inbox ${inboxLike} to sync it as INBOX`);
  }
  if (layout === 'flat' && dotted.length > 0 && plain.length === 0) {
    throw new ConfigError(`${root} holds Maildir++ folders (${some(dotted)}) and no INBOX/: run with --layout maildir++ to read them, or give another directory`);
  }
  if (layout === 'maildir++' && plain.length > 0 && dotted.length === 0) {
    throw new ConfigError(
      `${root} holds folders in the nested layout (${some(plain)}) and no INBOX of its own: run with --layout nested${inboxLike ? ` --inbox ${inboxLike}` : ''} to read them, or give another directory (as it is, every message would be downloaded again beside them)`,
    );
  }
  if (layout === 'nested' && inbox === undefined && inboxLike !== undefined) {
    throw new ConfigError(
      `${root}/${inboxLike} holds an INBOX (mbsync's "Inbox ${root}/${inboxLike}" with "SubFolders Verbatim"), and ${root} has no cur/ of its own: run with --inbox ${inboxLike} to sync it as INBOX (as it is, INBOX would be made again at ${root})`,
    );
  }
  if (layout === 'nested' && dotted.length > 0 && plain.length === 0) {
    throw new ConfigError(`${root} holds Maildir++ folders (${some(dotted)}) and no INBOX of its own: run with --layout maildir++ to read them, or give another directory`);
  }
}

/** Throws a ConfigError when `root`, or the nearest path above it that exists, is a file (else the run would fail on ENOTDIR, folder after folder). */
function checkNoFileInTheWay(root: string): void {
  for (let path = root; ; path = dirname(path)) {
    let isFile: boolean;
    try {
      isFile = !statSync(path).isDirectory();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ENOTDIR: a file above it, found on the way up.
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(path) !== path) continue;
      return; // anything else is told by checkWritable, or when the Maildir is made
    }
    if (!isFile) return;
    throw new ConfigError(
      path === root ? `the Maildir ${root} is a file, not a directory: give a directory` : `the Maildir ${root} cannot be made: ${path} is a file, not a directory: give a directory`,
    );
  }
}

/** Throws a ConfigError when the Maildir `root` cannot be made in `dir`, or the nearest directory above it that exists. */
function checkWritable(root: string, dir: string): void {
  try {
    accessSync(dir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && dirname(dir) !== dir) return checkWritable(root, dirname(dir));
    if (code !== undefined && NOT_WRITABLE_CODES.has(code)) {
      throw new ConfigError(`the Maildir ${root} cannot be made (${code}: ${dir} is ${code === 'EROFS' ? 'on a read-only file system' : 'not writable by this user'}): give a directory this user can write`);
    }
    // Anything else is refused, with its own words, when the Maildir is made.
  }
}
