import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../api/errors.js';
import { hasCur } from './list-folders.js';

/**
 * Throws a ConfigError when `root` is no place to make a Maildir: a directory
 * that holds other things (dotfiles aside) but no Maildir, neither cur/ nor
 * a folder with cur/ at its top (a tree whose INBOX is elsewhere, as mbsync
 * writes one). A home or project directory given by mistake is refused
 * before anything is written into it; a new, empty or Maildir directory
 * passes.
 */
export function checkMaildirRoot(root: string): void {
  let entries;
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return; // made, or refused, when the Maildir is
    throw error;
  }
  const others = entries.filter((entry) => !(entry.name.startsWith('.') && !entry.isDirectory()));
  if (others.length === 0 || others.some((entry) => entry.name === 'cur' || (entry.isDirectory() && hasCur(join(root, entry.name))))) return;
  const named = others.map((entry) => entry.name).sort().slice(0, 3).join(', ');
  throw new ConfigError(
    `${root} is not a Maildir and not empty (it holds ${named}${others.length > 3 ? `, and ${others.length - 3} more` : ''}, and no cur/ nor folder): give a new or empty directory, or an existing Maildir`,
  );
}
