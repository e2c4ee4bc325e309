import { checkInboxDir, inboxDirOf, MAILDIR_LAYOUTS, type MaildirLayout } from '../../core/maildir/folder-names.js';
import { offlineimapAccountDir } from '../../core/maildir/offlineimap-account.js';
import { expandHome } from '../expand-home.js';
import { ConfigError } from '../errors.js';

export type { MaildirLayout };

export interface MaildirOptions {
  /** The Maildir root; INBOX is the root itself (unless `inbox` says otherwise). A leading '~/' means the home directory. */
  root: string;
  /**
   * 'maildir++' (default; 'A/B' is '.A.B'), 'nested' (Dovecot LAYOUT=fs;
   * 'A/B' is 'A/B/') or 'flat' (offlineimap's default, `sep = .`: 'A/B' is
   * 'A.B', beside the directory INBOX).
   */
  layout?: MaildirLayout;
  /** fsync each delivered file and the directories it lands in (default true). Off: faster, not crash-safe. */
  fsync?: boolean;
  /** Create the root (and INBOX's cur/new/tmp) when missing (default false: a mistyped root is an error, not an empty Maildir). */
  create?: boolean;
  /**
   * Nested and flat layouts: the directory in the root that holds INBOX, and
   * INBOX's sub-folders under it ('INBOX': mbsync's `Inbox ~/Mail/INBOX`
   * with `Path ~/Mail/` and `SubFolders Verbatim`). Default: the root in
   * nested, 'INBOX' in flat.
   */
  inbox?: string;
  /**
   * The directory where mbsync kept its records (its `SyncState`, when not
   * `*`; mbsync's default is `~/.mbsync/`), read on a folder's first sync
   * (priorSync). Without it, only a record in the folder itself is read
   * (`SyncState *`). A leading '~/' means the home directory.
   */
  mbsyncState?: string;
  /**
   * offlineimap's metadata directory (`~/.offlineimap`), or its account's
   * directory in it (`Account-<name>`) when it holds several: its records
   * are read on a folder's first sync (priorSync) instead of mbsync's.
   */
  offlineimapState?: string;
}

export interface ResolvedMaildirOptions {
  root: string;
  layout: MaildirLayout;
  fsync: boolean;
  create: boolean;
  inbox?: string;
  mbsyncState?: string;
  /** offlineimap's account directory. */
  offlineimapState?: string;
}

export function resolveMaildirOptions(options: MaildirOptions): ResolvedMaildirOptions {
  if (typeof options.root !== 'string' || options.root.trim() === '') throw new ConfigError('maildir option "root" must be a non-empty path');
  const layout = options.layout ?? 'maildir++';
  if (!MAILDIR_LAYOUTS.includes(layout)) throw new ConfigError(`maildir option "layout" must be 'maildir++', 'nested' or 'flat', not ${JSON.stringify(layout)}`);
  const inbox = inboxDirOf(layout, options.inbox);
  if (inbox !== undefined) checkInboxDir(inbox, layout);
  if (options.mbsyncState !== undefined && options.offlineimapState !== undefined) throw new ConfigError('maildir options "mbsyncState" and "offlineimapState" do not go together: one tool kept this Maildir');
  return {
    root: expandHome(options.root),
    layout,
    fsync: options.fsync ?? true,
    create: options.create ?? false,
    ...(inbox !== undefined ? { inbox } : {}),
    ...(options.mbsyncState !== undefined ? { mbsyncState: expandHome(options.mbsyncState) } : {}),
    ...(options.offlineimapState !== undefined ? { offlineimapState: offlineimapAccountDir(expandHome(options.offlineimapState)) } : {}),
  };
}

/** Something the repository tolerated and wants the user to know (it never deletes what it does not own). */
export interface MaildirWarning {
  /**
   * 'foreign-entry': a file or directory that is not a message or folder of ours, left untouched;
   * 'flag-refused': a flag the Maildir cannot hold (no keyword letter left, not an IMAP atom, unknown system flag), left out.
   */
  code: 'foreign-entry' | 'flag-refused';
  message: string;
  folder?: string;
  path?: string;
}
