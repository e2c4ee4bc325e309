import { FolderNameError } from '../../api/errors.js';

/**
 * How a server lays out folder names: its hierarchy delimiter and the prefix
 * of its personal namespace (from NAMESPACE, e.g. '' on Dovecot, 'INBOX.' on
 * Courier).
 *
 * Server paths here are already decoded from modified UTF-7: imapflow decodes
 * LIST results (`path`; the wire form is `pathAsListed`) and encodes every
 * path it sends. It also adds the namespace prefix to any path that lacks it,
 * which is why canonical names leave the prefix out: 'INBOX.Archive' on a
 * Courier server is 'Archive', and 'Archive' goes back as 'INBOX.Archive'.
 */
export interface FolderLayout {
  /** Hierarchy delimiter; null or '' for a flat server. */
  delimiter: string | null;
  prefix: string;
}

/**
 * Canonical name ('/'-separated, 'INBOX' upper-case) of a decoded server
 * path, or undefined when the name cannot be represented: outside the
 * personal namespace, an empty level, or a '/' inside a level (a name like
 * 'a/b' on a '.'-delimited server would come back as 'a.b').
 */
export function canonicalFolderName(path: string, layout: FolderLayout): string | undefined {
  if (path.toUpperCase() === 'INBOX') return 'INBOX';
  if (!path.startsWith(layout.prefix)) return undefined;
  const rest = path.slice(layout.prefix.length);
  const levels = layout.delimiter ? rest.split(layout.delimiter) : [rest];
  if (levels.some((level) => level === '' || level.includes('/'))) return undefined;
  return levels.join('/');
}

/** A LIST entry as imapflow gives it: `path` decoded and normalised (any case of INBOX is 'INBOX', a leading delimiter dropped). */
export interface ListedFolder {
  path: string;
  /** The name exactly as the server listed it (modified UTF-7). */
  pathAsListed: string;
  delimiter?: string | null;
}

/**
 * Why a listed folder cannot be synced, for the user; undefined when it can,
 * 'elsewhere' when it lies outside the personal namespace (shared folders,
 * other users': not this account's folders, left alone without a word).
 * `inbox` is the entry taken as the inbox when several are listed as
 * INBOX in different cases.
 */
export function unusableFolder(entry: ListedFolder, layout: FolderLayout, inbox: ListedFolder | undefined): string | undefined {
  if (entry.path === 'INBOX') {
    return entry === inbox
      ? undefined
      : `the server lists "${inbox?.pathAsListed}" and "${entry.pathAsListed}": IMAP names the inbox in any case, so this one cannot be opened apart from it`;
  }
  const { delimiter } = layout;
  if (entry.delimiter && entry.pathAsListed.startsWith(entry.delimiter)) return `the name starts with "${entry.delimiter}", the server's hierarchy delimiter (an empty first level)`;
  if (!entry.path.startsWith(layout.prefix)) return 'elsewhere';
  if (canonicalFolderName(entry.path, layout) !== undefined) return undefined;
  if (delimiter && entry.path.slice(layout.prefix.length).split(delimiter).some((level) => level === '')) {
    return `the name has an empty level ("${delimiter}", the server's hierarchy delimiter, at its end or twice in a row)`;
  }
  return `a level of the name holds "/", which separates levels in imapfw's folder names (the server's hierarchy delimiter is "${delimiter}")`;
}

/** Decoded server path of a canonical name. Throws FolderNameError for a name the server cannot hold. */
export function serverFolderPath(name: string, layout: FolderLayout): string {
  if (name.toUpperCase() === 'INBOX') return 'INBOX';
  const levels = name.split('/');
  if (levels.some((level) => level === '')) throw new FolderNameError(name, 'it has an empty level');
  const { delimiter } = layout;
  if (!delimiter) {
    if (levels.length > 1) throw new FolderNameError(name, 'it has levels, but the server keeps a flat list of folders (no hierarchy delimiter)');
    return layout.prefix + name;
  }
  if (delimiter !== '/' && levels.some((level) => level.includes(delimiter))) {
    throw new FolderNameError(name, `it contains "${delimiter}", the server's hierarchy delimiter, inside a level: the server would read it as a sub-folder; rename it, or leave it out (--exclude)`);
  }
  return layout.prefix + levels.join(delimiter);
}
