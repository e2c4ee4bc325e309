// An mbsync configuration read as imapfw sync's accounts: each channel from
// an IMAP store to a Maildir store, with its folders, policies, layout and
// record directory as mbsync has them; what imapfw cannot do the same way is
// refused with the line and what to do.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/api/errors.js';
import { globsOf, looksLikeMbsyncrc, mbsyncrcAccounts } from '../../src/contrib/mbsyncrc/mbsyncrc-accounts.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const accountsOf = (file: string) => mbsyncrcAccounts(file, readFileSync(file, 'utf8'));

function rc(text: string): string {
  dir = mkdtempSync(join(tmpdir(), 'imapfw-mbsyncrc-'));
  const file = join(dir, 'mbsyncrc');
  writeFileSync(file, text);
  return file;
}

const MANUAL = `# as mbsync's manual lays out a laptop
SyncState *

IMAPAccount work
Host imap.example.org
User "jo doe@example.org"
PassCmd "+pass show mail/work"
SSLType IMAPS

IMAPStore work-remote
Account work

MaildirStore work-local
Path ~/Mail/
Inbox ~/Mail/INBOX
SubFolders Verbatim

Channel work
Far :work-remote:
Near :work-local:
Patterns * !Trash "Sent Items" Lists% Archive/*
Sync Pull New Flags
Create Near
Expunge Both
CopyArrivalDate yes

Channel work-inbox
Master :work-remote:INBOX
Slave :work-local:INBOX
Sync PullNew PushFlags ReNew
Remove Slave
`;

describe('mbsyncrcAccounts', () => {
  it('reads each channel as an account, with its folders, policies and the layout that reads its Maildir', () => {
    const [work, inbox] = accountsOf(rc(MANUAL));
    expect(work).toEqual({
      name: 'work',
      remote: 'imaps://jo%20doe%40example.org@imap.example.org',
      password: { command: 'pass show mail/work' },
      maildir: join(homedir(), 'Mail'),
      layout: 'nested',
      inbox: 'INBOX',
      folders: ['**', 'Sent Items', 'Lists*', 'Archive/**'],
      exclude: ['Trash'],
      sync: ['Pull', 'New', 'Flags'],
      expunge: 'both',
      create: 'near',
      remove: 'none',
    });
    expect(inbox).toMatchObject({ name: 'work-inbox', folders: ['INBOX'], exclude: [], sync: ['PullNew', 'PushFlags'], create: 'none', remove: 'near' });
  });

  it("takes mbsync's defaults: STARTTLS, a prompt for the password, Sync All, records in ~/.mbsync/ (when it exists), Maildir++ at Inbox", () => {
    const state = join(mkdtempSync(join(tmpdir(), 'imapfw-mbsync-state-')), 'state');
    mkdirSync(state);
    try {
      const file = rc(`SyncState ${state}/\n\nIMAPStore remote\nHost mail.example.org\nPort 1143\nUser jo\n\nMaildirStore local\nInbox ~/Maildir\nSubFolders Maildir++\n\nChannel all\nFar :remote:\nNear :local:\n`);
      expect(accountsOf(file)).toEqual([
        { name: 'all', remote: 'imap://jo@mail.example.org:1143', password: { prompt: true }, maildir: join(homedir(), 'Maildir'), layout: 'maildir++', mbsyncState: state, folders: [], exclude: [], sync: ['full'], expunge: 'none', create: 'none', remove: 'none' },
      ]);
    } finally {
      rmSync(join(state, '..'), { recursive: true, force: true });
    }
  });

  it('logs in with OAuth2 when AuthMechs names it, and in plain text where SSLType None says so', () => {
    const file = rc('IMAPAccount a\nHost h\nUser u\nPassCmd "oauth2-token u"\nAuthMechs XOAUTH2\nSSLType None\n\nIMAPStore r\nAccount a\n\nMaildirStore l\nPath /mail/\nInbox /mail\nSubFolders Verbatim\n\nChannel c\nFar :r:\nNear :l:\n');
    expect(accountsOf(file)[0]).toMatchObject({ remote: 'imap://u@h', password: { oauth2Command: 'oauth2-token u' }, allowPlaintext: true, maildir: '/mail', layout: 'nested' });
  });

  const STORES = 'IMAPStore r\nHost h\nUser u\n\nMaildirStore l\nPath /mail/\nInbox /mail/INBOX\nSubFolders Verbatim\n\n';
  it.each([
    ['a tunnel', 'IMAPStore r\nTunnel "ssh h imapd"\nUser u\n\nMaildirStore l\nInbox /m\nSubFolders Maildir++\n\nChannel c\nFar :r:\nNear :l:\n', /:2: imapfw connects to the server itself/],
    ['MaxMessages', `${STORES}Channel c\nFar :r:\nNear :l:\nMaxMessages 100\n`, /:13: imapfw keeps every message: remove MaxMessages/],
    ['Flatten', 'IMAPStore r\nHost h\nUser u\n\nMaildirStore l\nPath /m/\nInbox /m/INBOX\nFlatten .\n\nChannel c\nFar :r:\nNear :l:\n', /:8: imapfw keeps the folder hierarchy/],
    ['an IMAP to IMAP channel', `${STORES}IMAPStore r2\nHost h2\nUser u\n\nChannel c\nFar :r:\nNear :r2:\n`, /Channel c \(line 14\): syncs IMAPStore to IMAPStore; .*IMAP to IMAP is imapfw migrate/],
    ['a Maildir as the far side', `${STORES}Channel c\nFar :l:\nNear :r:\n`, /syncs MaildirStore to IMAPStore/],
    ['a box mapped to another name', `${STORES}Channel c\nFar :r:INBOX\nNear :l:inbox\n`, /maps the server's "INBOX" to "inbox" here/],
    ['a store that does not exist', `${STORES}Channel c\nFar :remote:\nNear :l:\n`, /:11: no IMAPStore or MaildirStore named "remote"/],
    ['SubFolders Legacy', 'IMAPStore r\nHost h\nUser u\n\nMaildirStore l\nPath /m/\nSubFolders Legacy\n\nChannel c\nFar :r:\nNear :l:\n', /SubFolders Legacy: imapfw reads Verbatim/],
    ['a Path without its slash', 'IMAPStore r\nHost h\nUser u\n\nMaildirStore l\nPath /m/mb-\nSubFolders Verbatim\n\nChannel c\nFar :r:\nNear :l:\n', /Path "\/m\/mb-" has no trailing slash/],
    ['an INBOX outside the Maildir', 'IMAPStore r\nHost h\nUser u\n\nMaildirStore l\nPath /m/\nInbox /elsewhere/INBOX\nSubFolders Verbatim\n\nChannel c\nFar :r:\nNear :l:\n', /its INBOX \(\/elsewhere\/INBOX\) is neither its Path \(\/m\)/],
    ['an IMAP Path', 'IMAPStore r\nHost h\nUser u\nPath INBOX.\n\nMaildirStore l\nInbox /m\nSubFolders Maildir++\n\nChannel c\nFar :r:\nNear :l:\n', /:4: the IMAP store's Path/],
    ['no channel', STORES, /no Channel/],
  ])('refuses %s, naming the line and what to do', (_, text, why) => {
    const file = rc(text);
    expect(() => accountsOf(file)).toThrow(ConfigError);
    expect(() => accountsOf(file)).toThrow(why);
  });
});

describe('globsOf', () => {
  it.each([
    ['*', ['**']],
    ['%', ['*']],
    ['INBOX', ['INBOX']],
    ['Lists*', ['Lists*', 'Lists*/**']],
    ['Lists/%', ['Lists/*']],
    ['Work/*', ['Work/**']],
    ['Notes [old]', ['Notes \\[old\\]']],
  ])("reads mbsync's %s", (pattern, globs) => {
    expect(globsOf(pattern)).toEqual(globs);
  });
});

describe('looksLikeMbsyncrc', () => {
  it('knows an mbsync configuration by its first keyword', () => {
    expect(looksLikeMbsyncrc('# mine\n\nIMAPAccount x\nHost h\n')).toBe(true);
    expect(looksLikeMbsyncrc('SyncState *\n')).toBe(true);
    expect(looksLikeMbsyncrc('export default { remote: "x" }\n')).toBe(false);
    expect(looksLikeMbsyncrc('[general]\naccounts = a\n')).toBe(false);
  });
});
