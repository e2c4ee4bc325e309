// Where a Maildir may be made: a new, empty or Maildir directory; never a
// directory that holds files of its own and no Maildir (a home given by mistake).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/api/errors.js';
import { checkMaildirRoot } from '../../src/core/maildir/maildir-root.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function tree(paths: string[]): string {
  dir = mkdtempSync(join(tmpdir(), 'imapfw-root-'));
  for (const path of paths) {
    if (path.endsWith('/')) mkdirSync(join(dir, path), { recursive: true });
    else writeFileSync(join(dir, path), '');
  }
  return dir;
}

describe('checkMaildirRoot', () => {
  it.each([
    ['a new directory', [], 'missing'],
    ['an empty directory', [], ''],
    ['dotfiles only', ['.stignore', '.DS_Store'], ''],
    ['a Maildir (cur/ at the top)', ['cur/', 'new/', 'tmp/', 'notes.txt'], ''],
    ["a Maildir++ tree whose INBOX is elsewhere", ['.Archive/cur/', 'README'], ''],
    ["mbsync's verbatim tree", ['INBOX/cur/', 'Sent/cur/'], ''],
    ['a nested tree whose top holds parents only', ['Local/Notes/cur/', 'Local/Drafts/cur/'], ''],
    ["Dovecot's files beside folders", ['dovecot-uidlist', 'subscriptions', 'Work/cur/'], ''],
    ['directories only (nothing tells them from parents of folders)', ['Documents/', 'Music/'], ''],
  ])('passes %s', (_, paths, sub) => {
    const root = tree(paths);
    expect(() => checkMaildirRoot(sub === 'missing' ? join(root, 'Mail') : root)).not.toThrow();
  });

  // Else the run would start, and fail folder after folder on ENOTDIR (exit 1, "run again").
  it('refuses a file, and a path under a file, saying which is the file', () => {
    const root = tree(['afile']);
    expect(() => checkMaildirRoot(join(root, 'afile'))).toThrow(ConfigError);
    expect(() => checkMaildirRoot(join(root, 'afile'))).toThrow(`the Maildir ${root}/afile is a file, not a directory`);
    expect(() => checkMaildirRoot(join(root, 'afile', 'Mail', 'work'), { layout: 'nested' })).toThrow(`the Maildir ${root}/afile/Mail/work cannot be made: ${root}/afile is a file, not a directory`);
  });

  it('refuses a directory of other things, naming some of them', () => {
    const root = tree(['Documents/', 'Music/', '.config/', 'notes.txt', '.bashrc']);
    expect(() => checkMaildirRoot(root)).toThrow(ConfigError);
    expect(() => checkMaildirRoot(root)).toThrow(`${root} is not a Maildir and not empty (it holds .config, Documents, Music, and 1 more, and no cur/ nor folder)`);
  });

  // Another tool's tree read in the wrong scheme would get a second INBOX at the root, and every message downloaded again.
  it.each([
    ["mbsync's verbatim tree, read as maildir++", ['INBOX/cur/', 'Sent/cur/'], { layout: 'maildir++' }, /holds folders in the nested layout \(INBOX\/, Sent\/\) and no INBOX of its own: run with --layout nested --inbox INBOX/],
    ["mbsync's verbatim tree, INBOX taken as the root", ['Inbox/cur/', 'Sent/cur/'], { layout: 'nested' }, /Inbox holds an INBOX .* run with --inbox Inbox/],
    ['a Maildir++ tree read as nested', ['.Sent/cur/', '.Archive/cur/'], { layout: 'nested' }, /holds Maildir\+\+ folders \(\.Archive\/, \.Sent\/\) .* --layout maildir\+\+/],
    ["offlineimap's default tree (sep = .)", ['INBOX/cur/', 'Lists.dev/cur/', 'Sent/cur/'], { layout: 'maildir++' }, /named as offlineimap names them by default \(Lists\.dev\/ beside INBOX\/: its "sep = \."\): run with --layout flat to read them/],
    ["offlineimap's default tree, read as nested", ['INBOX/cur/', 'Lists.dev/cur/'], { layout: 'nested' }, /named as offlineimap names them .*: run with --layout flat to/],
    ['a Maildir++ tree with its INBOX, read as nested', ['cur/', '.Archive.2024/cur/', '.Sent/cur/'], { layout: 'nested' }, /holds Maildir\+\+ folders \(\.Archive\.2024\/, \.Sent\/\) beside its INBOX: run with --layout maildir\+\+/],
    ['a Maildir++ tree imapfw mirrored, read as nested', ['cur/', 'imapfw-uidvalidity', '.Sent/cur/'], { layout: 'nested' }, /holds Maildir\+\+ folders \(\.Sent\/\) beside its INBOX/],
    ["mbsync's verbatim tree with its INBOX, read as flat", ['INBOX/cur/', 'Archive/2024/cur/', 'Sent/cur/'], { layout: 'flat', inbox: 'INBOX' }, /holds folders in the nested layout \(Archive\/\): run with --layout nested --inbox INBOX/],
    ["mbsync's verbatim INBOX with a sub-folder, read as flat", ['INBOX/cur/', 'INBOX/Sub/cur/'], { layout: 'flat', inbox: 'INBOX' }, /holds folders in the nested layout \(INBOX\/\)/],
    ["offlineimap's default tree, read as mbsync's (its INBOX/ found)", ['INBOX/cur/', 'Lists.dev/cur/', 'Sent/cur/'], { layout: 'nested', inbox: 'INBOX' }, /named as offlineimap names them .*: run with --layout flat to/],
    ["offlineimap's tree with an Inbox, read as flat", ['Inbox/cur/', 'Lists.dev/cur/'], { layout: 'flat', inbox: 'INBOX' }, /Inbox holds an INBOX, .* run with --inbox Inbox/],
    ['a Maildir++ tree read as flat', ['.Sent/cur/', '.Archive/cur/'], { layout: 'flat', inbox: 'INBOX' }, /holds Maildir\+\+ folders .* --layout maildir\+\+/],
    ['a Maildir whose INBOX is the root, read as flat', ['cur/', '.Sent/cur/'], { layout: 'flat', inbox: 'INBOX' }, /is itself INBOX \(it has cur\/\), .* run with --layout maildir\+\+ \(or nested\)/],
  ] as const)('refuses %s, saying which option reads it', (_, paths, scheme, message) => {
    const root = tree([...paths]);
    expect(() => checkMaildirRoot(root, scheme)).toThrow(ConfigError);
    expect(() => checkMaildirRoot(root, scheme)).toThrow(message);
  });

  it.each([
    ["mbsync's verbatim tree with its INBOX directory named", ['INBOX/cur/', 'Sent/cur/'], { layout: 'nested', inbox: 'INBOX' }],
    ['a nested tree imapfw synced, with a dotted folder', ['INBOX/cur/', 'INBOX/imapfw-uidvalidity', 'v1.2/cur/'], { layout: 'nested', inbox: 'INBOX' }],
    ['a nested tree whose INBOX is the root', ['cur/', 'INBOX/cur/', 'Sent/cur/'], { layout: 'nested' }],
    ['a Maildir++ tree with its INBOX', ['cur/', 'Sent/cur/'], { layout: 'nested' }],
    ['a nested tree whose INBOX is not made yet', ['Sent/cur/', 'Lists/dev/cur/'], { layout: 'nested' }],
    ['a Maildir++ tree whose INBOX is not made yet', ['.Sent/cur/'], { layout: 'maildir++' }],
    ["offlineimap's default tree, read as flat", ['INBOX/cur/', 'Lists.dev/cur/', 'Sent/cur/'], { layout: 'flat', inbox: 'INBOX' }],
    ["offlineimap's default tree whose INBOX is not made yet", ['Lists.dev/cur/', 'Sent/cur/'], { layout: 'flat', inbox: 'INBOX' }],
    ['a flat tree beside a directory of other things', ['INBOX/cur/', 'Lists.dev/cur/', 'backup/old/', 'backup/notes.txt'], { layout: 'flat', inbox: 'INBOX' }],
    ['a Maildir++ tree beside a Maildir a delivery agent keeps', ['cur/', '.Sent/cur/', 'spam/cur/'], { layout: 'maildir++' }],
  ] as const)('passes %s', (_, paths, scheme) => {
    const root = tree([...paths]);
    expect(() => checkMaildirRoot(root, scheme)).not.toThrow();
  });
});
