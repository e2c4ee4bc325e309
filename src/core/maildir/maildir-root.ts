import { accessSync, constants, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from '../../api/errors.js';
import { hasCur } from './list-folders.js';

/** Files a Maildir tree holds at its top besides folders: Dovecot's, Courier's, imapfw's, the Maildir++ marker. */
const MAIL_TOOL_FILE = /^(?:dovecot|courier|imapfw-)|^(?:subscriptions|maildirfolder)$/i;

/**
 * Throws a ConfigError when `root` is no place to make a Maildir: a directory
 * with no cur/ and no folder (a directory with cur/) at its top, that holds
 * files of its own (dotfiles and mail tools' files aside). A home or project
 * directory given by mistake is refused before anything is written into it;
 * a new or empty directory passes, and so does any Maildir tree: one whose
 * INBOX is elsewhere (mbsync's), or a nested one whose top holds only parent
 * directories. A Maildir to be made where this user cannot write (a
 * read-only mount, another user's directory) is refused too.
 */
export function checkMaildirRoot(root: string): void {
  if (!hasCur(root)) checkWritable(root, root);
  let entries;
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return; // made, or refused, when the Maildir is
    throw error;
  }
  const others = entries.filter((entry) => !(entry.name.startsWith('.') && !entry.isDirectory()) && !MAIL_TOOL_FILE.test(entry.name));
  const files = others.filter((entry) => !entry.isDirectory());
  if (files.length === 0 || others.some((entry) => entry.name === 'cur' || (entry.isDirectory() && hasCur(join(root, entry.name))))) return;
  const named = others.map((entry) => entry.name).sort().slice(0, 3).join(', ');
  throw new ConfigError(
    `${root} is not a Maildir and not empty (it holds ${named}${others.length > 3 ? `, and ${others.length - 3} more` : ''}, and no cur/ nor folder): give a new or empty directory, or an existing Maildir`,
  );
}

/** Throws a ConfigError when the Maildir `root` cannot be made in `dir`, or the nearest directory above it that exists. */
function checkWritable(root: string, dir: string): void {
  try {
    accessSync(dir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && dirname(dir) !== dir) return checkWritable(root, dirname(dir));
    if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
      throw new ConfigError(`the Maildir ${root} cannot be made (${code}: ${dir} is ${code === 'EROFS' ? 'on a read-only file system' : 'not writable by this user'}): give a directory this user can write`);
    }
    // Anything else (ENOTDIR: a file in the way) is refused, with its own words, when the Maildir is made.
  }
}
