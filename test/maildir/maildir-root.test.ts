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

  it('refuses a directory of other things, naming some of them', () => {
    const root = tree(['Documents/', 'Music/', '.config/', 'notes.txt', '.bashrc']);
    expect(() => checkMaildirRoot(root)).toThrow(ConfigError);
    expect(() => checkMaildirRoot(root)).toThrow(`${root} is not a Maildir and not empty (it holds .config, Documents, Music, and 1 more, and no cur/ nor folder)`);
  });
});
