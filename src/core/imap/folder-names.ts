import { StoreError } from '../../api/errors.js';

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

/** Decoded server path of a canonical name. Throws StoreError for a name the server cannot hold. */
export function serverFolderPath(name: string, layout: FolderLayout): string {
  if (name.toUpperCase() === 'INBOX') return 'INBOX';
  const levels = name.split('/');
  if (levels.some((level) => level === '')) throw new StoreError(`folder name "${name}" has an empty level`);
  const { delimiter } = layout;
  if (!delimiter) {
    if (levels.length > 1) throw new StoreError(`folder name "${name}" has levels, but the server keeps a flat list of folders`);
    return layout.prefix + name;
  }
  if (delimiter !== '/' && levels.some((level) => level.includes(delimiter))) {
    throw new StoreError(`folder name "${name}" contains "${delimiter}", the server's hierarchy delimiter, inside a level`);
  }
  return layout.prefix + levels.join(delimiter);
}
