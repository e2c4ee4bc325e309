import { resolve, sep } from 'node:path';
import { ConfigError, FolderNameError, StoreError } from '../../api/errors.js';

/**
 * Canonical folder names (UTF-8, '/'-separated, from a server: untrusted)
 * <-> directory names under the Maildir root.
 *
 * - 'INBOX' is the root itself in both layouts; in nested, it may instead
 *   be a directory in the root, named by `inbox` (mbsync's `Inbox
 *   ~/Mail/INBOX` with `SubFolders Verbatim`): then 'INBOX/A' is
 *   '<inbox>/A/', and no other folder's directory may take that name.
 * - maildir++: 'A/B' is the directory '.A.B'; nested (Dovecot LAYOUT=fs):
 *   'A/B' is 'A/B/'; flat (offlineimap's default, `sep = .`): 'A/B' is
 *   'A.B', INBOX is the directory 'INBOX' (`inbox`), and 'INBOX/A' is
 *   'INBOX.A'.
 * - Each '/'-separated segment is escaped as '%' + two upper-case hex digits
 *   for: '%' itself, ASCII control characters (NUL included), '.' (every
 *   '.' in maildir++, where it separates levels; a leading '.' in nested, so
 *   that '.', '..' and hidden names cannot occur), and in nested the first
 *   letter of a name that would clash with a Maildir entry ('cur', 'new',
 *   'tmp', 'maildirfolder', 'subscriptions', 'dovecot*', 'imapfw-*').
 *   An empty segment is written as a lone '%'.
 * - Everything else, non-ASCII included, is written as is: directory names
 *   are UTF-8 (Dovecot reads them with its UTF-8 mail_location option; without
 *   it Dovecot expects modified UTF-7, which is never produced here).
 * - A directory whose name is not exactly what this scheme writes (say
 *   '%2e' in lower case) is not read as a folder, so a listed name always
 *   maps back to the directory it came from.
 */
export type MaildirLayout = 'maildir++' | 'nested' | 'flat';
export const MAILDIR_LAYOUTS: readonly string[] = ['maildir++', 'nested', 'flat'] satisfies MaildirLayout[];

export const INBOX = 'INBOX';
/** Longest file name most file systems accept, in bytes. */
const NAME_MAX = 255;
/** Longest path Linux accepts, in bytes (PATH_MAX, its final NUL left out). */
const PATH_MAX = 4095;
const RESERVED_IN_NESTED = /^(?:cur|new|tmp|maildirfolder|subscriptions)$|^(?:dovecot|imapfw-)/i;

/**
 * The directory names leading from the root to a folder; [] for INBOX at the
 * root, [inbox] for INBOX in its own directory (nested layout, see above).
 * Throws StoreError for a name no file system can hold.
 */
export function folderPathSegments(name: string, layout: MaildirLayout, inbox?: string): string[] {
  if (name === INBOX) return inbox === undefined ? [] : [inbox];
  if (/\p{Cs}/u.test(name)) throw refused(name, 'it is not valid Unicode (a lone surrogate)');
  const segments = name.split('/').map((segment, i) => escapeSegment(segment, layout, i === 0));
  if (layout !== 'maildir++' && inbox !== undefined) {
    if (name.startsWith(`${INBOX}/`)) segments[0] = inbox;
    else if (segments[0] === inbox) throw refused(name, `its directory would be ${inbox}/, which holds INBOX here`);
  }
  const dirs = layout === 'maildir++' ? [`.${segments.join('.')}`] : layout === 'flat' ? [segments.join('.')] : segments;
  for (const dir of dirs) {
    if (Buffer.byteLength(dir) > NAME_MAX) throw refused(name, `a directory name would be longer than ${NAME_MAX} bytes`);
  }
  return dirs;
}

/** INBOX's directory in the root: `inbox` when given, else none (INBOX is the root) but in flat, where it is 'INBOX'. */
export function inboxDirOf(layout: MaildirLayout, inbox?: string): string | undefined {
  return inbox ?? (layout === 'flat' ? INBOX : undefined);
}

/**
 * Throws a ConfigError unless `inbox` can name INBOX's directory in the root:
 * the nested layout (in maildir++, INBOX is the root, as in mbsync), and a
 * name the scheme writes as it is ('INBOX', 'Inbox'; not '.x', 'cur', 'a/b').
 */
export function checkInboxDir(inbox: string, layout: MaildirLayout): void {
  if (layout === 'maildir++') throw new ConfigError(`an INBOX directory (--inbox ${inbox}) needs the nested or flat layout (--layout nested): in maildir++, INBOX is the root`);
  if (inbox === '' || inbox.includes('/') || escapeSegment(inbox, layout, true) !== inbox) {
    throw new ConfigError(`the INBOX directory must be one plain directory name in the Maildir root (such as INBOX), not "${inbox}"`);
  }
}

/** The folder name of a maildir++ directory name ('.A.B'), or undefined when it is not one this scheme writes. */
export function folderOfMaildirPlusPlusDir(dir: string): string | undefined {
  if (!dir.startsWith('.')) return undefined;
  const name = dir.slice(1).split('.').map(unescapeSegment).join('/');
  return roundTrips(name, [dir], 'maildir++') ? name : undefined;
}

/** The folder name of nested directory names (['A', 'B']), or undefined when they are not ones this scheme writes. */
export function folderOfNestedDirs(dirs: readonly string[], inbox?: string): string | undefined {
  const inInbox = inbox !== undefined && dirs[0] === inbox;
  const name = inInbox ? [INBOX, ...dirs.slice(1).map(unescapeSegment)].join('/') : dirs.map(unescapeSegment).join('/');
  return roundTrips(name, dirs, 'nested', inbox) ? name : undefined;
}

/** The folder name of a flat directory name ('A.B', 'INBOX.A'), or undefined when it is not one this scheme writes. */
export function folderOfFlatDir(dir: string, inbox: string): string | undefined {
  const segments = dir.split('.');
  const name = segments[0] === inbox ? [INBOX, ...segments.slice(1).map(unescapeSegment)].join('/') : segments.map(unescapeSegment).join('/');
  return roundTrips(name, [dir], 'flat', inbox) ? name : undefined;
}

/**
 * A directory that holds mail but whose name this scheme does not write
 * ('.Odd%Name', written by another tool): the folder its name reads as
 * literally, and the directory path (relative to the root) this scheme
 * writes for that folder; undefined when no directory can hold that name.
 */
export function literalFolderOf(dirs: readonly string[], layout: MaildirLayout, inbox?: string): { name: string; path: string } | undefined {
  const name = layout === 'maildir++' ? dirs[0]!.slice(1).split('.').join('/') : layout === 'flat' ? dirs[0]!.split('.').join('/') : dirs.join('/');
  try {
    return { name, path: folderPathSegments(name, layout, inbox).join('/') };
  } catch {
    return undefined;
  }
}

/**
 * Joins segments to the root and proves the result is inside it (defense in
 * depth: escaping already makes it so). `name` is the folder's name, for the
 * error of a path too long for the system (a folder nested very deep).
 */
export function pathInsideRoot(root: string, segments: readonly string[], name?: string): string {
  const path = resolve(root, ...segments);
  if (path !== root && !path.startsWith(root.endsWith(sep) ? root : root + sep)) {
    throw new StoreError(`refused to touch ${path}: it is outside the Maildir root ${root}`);
  }
  // A message file adds '/cur/' and its name (about 100 bytes) to the folder's path.
  if (name !== undefined && Buffer.byteLength(path) + 128 > PATH_MAX) throw refused(name, `its path under ${root} would be longer than the system allows (${PATH_MAX} bytes)`);
  return path;
}

/** `first`: the segment a flat directory name starts with (the only one that could clash with a Maildir entry there). */
function escapeSegment(segment: string, layout: MaildirLayout, first: boolean): string {
  if (segment === '') return '%';
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const char = segment[i]!;
    const code = segment.charCodeAt(i);
    const escape = code < 0x20 || code === 0x7f || char === '%' || (char === '.' && (layout !== 'nested' || i === 0));
    out += escape ? hex(code) : char;
  }
  // Reserved names all start with an ASCII letter, never escaped above.
  if ((layout === 'nested' || (layout === 'flat' && first)) && RESERVED_IN_NESTED.test(segment)) out = hex(segment.charCodeAt(0)) + out.slice(1);
  return out;
}

function unescapeSegment(segment: string): string {
  if (segment === '%') return '';
  return segment.replace(/%([0-9A-F]{2})/g, (_, code: string) => String.fromCharCode(parseInt(code, 16)));
}

function roundTrips(name: string, dirs: readonly string[], layout: MaildirLayout, inbox?: string): boolean {
  if (name === INBOX && inbox === undefined) return false; // INBOX is the root; a directory claiming it is foreign.
  try {
    const again = folderPathSegments(name, layout, inbox);
    return again.length === dirs.length && again.every((dir, i) => dir === dirs[i]);
  } catch {
    return false;
  }
}

function hex(code: number): string {
  return `%${code.toString(16).toUpperCase().padStart(2, '0')}`;
}

function refused(name: string, why: string): FolderNameError {
  return new FolderNameError(name, `${why}; rename it where it comes from, or leave it out (--exclude)`);
}
