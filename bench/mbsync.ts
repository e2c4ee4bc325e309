// mbsync (isync 1.4) set up to do what `imapfw mirror` does (pull everything
// from the server into a Maildir++ tree, create folders locally) or what
// `imapfw sync` does (both ways, folders created on both sides, nothing
// expunged), and fsync every message like our default (no --no-fsync).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export interface MbsyncAccount {
  host: string;
  port: number;
  user: string;
  password: string;
  /** The Maildir root: INBOX there, other folders as .A.B beside it. */
  maildir: string;
  mode: 'mirror' | 'sync';
  /** Only unmeasured set-up runs go without. */
  fsync: boolean;
}

/** mbsync's config syntax: a value with spaces or quotes goes in double quotes, backslash-escaped. */
function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

export function mbsyncConfig(a: MbsyncAccount): string {
  return `# Written by imapfw's bench/mbsync.ts.
FSync ${a.fsync ? 'yes' : 'no'}

IMAPAccount remote
Host ${a.host}
Port ${a.port}
User ${quoted(a.user)}
Pass ${quoted(a.password)}
SSLType None
AuthMechs LOGIN

IMAPStore remote
Account remote

# Maildir++ takes no Path: every folder lives beside INBOX.
MaildirStore local
Inbox ${quoted(a.maildir)}
SubFolders Maildir++

Channel mirror
Far :remote:
Near :local:
Patterns *
${a.mode === 'mirror' ? 'Create Near\nSync Pull' : 'Create Both\nSync All\nExpunge None'}
# imapfw keeps each message's INTERNALDATE as the file's mtime; so does this.
CopyArrivalDate yes
SyncState *
`;
}

/** e.g. "isync 1.4.4" */
export async function mbsyncVersion(): Promise<string> {
  const { stdout } = await promisify(execFile)('mbsync', ['--version']);
  return stdout.trim();
}
