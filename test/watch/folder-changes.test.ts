// The Maildir's changes as the daemon hears them (fs.watch through
// FolderChanges): which folders a mail client's writes touch, in both
// layouts; tmp/ and folder files do not count.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FolderChanges } from '../../src/core/maildir/folder-changes.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function maildir(dirs: string[]): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'imapfw-changes-'));
  made.push(root);
  for (const dir of ['', ...dirs]) for (const sub of ['cur', 'new', 'tmp']) mkdirSync(path.join(root, dir, sub), { recursive: true });
  return root;
}

describe('FolderChanges', () => {
  it('maildir++: a delivery, a flag rename, a move between folders and a new folder; tmp/ and folder files are ignored', async () => {
    const root = maildir(['.Archive', '.Lists.dev']);
    writeFileSync(path.join(root, 'cur', '1.a:2,'), 'x');
    const changes = new FolderChanges(root, 'maildir++');
    try {
      const first = changes.next(30_000);
      await new Promise((resolve) => setTimeout(resolve, 200)); // the watcher is set up by the first call
      writeFileSync(path.join(root, '.Lists.dev', 'tmp', '2.b'), 'x');
      writeFileSync(path.join(root, '.Archive', 'dovecot-keywords'), '0 $Junk\n');
      renameSync(path.join(root, '.Lists.dev', 'tmp', '2.b'), path.join(root, '.Lists.dev', 'new', '2.b'));
      renameSync(path.join(root, 'cur', '1.a:2,'), path.join(root, '.Archive', 'cur', '1.a:2,S'));
      expect(await first).toEqual(['Archive', 'INBOX', 'Lists/dev']);
      const second = changes.next(30_000);
      mkdirSync(path.join(root, '.New'));
      mkdirSync(path.join(root, '.New', 'cur'));
      expect(await second).toEqual(['New']);
      // A folder created after the watch began is watched from then on.
      const inNew = changes.next(30_000);
      writeFileSync(path.join(root, '.New', 'cur', '9.z:2,'), 'x');
      expect(await inNew).toEqual(['New']);
      writeFileSync(path.join(root, '.Archive', 'tmp', '3.c'), 'x');
      expect(await changes.next(1_000)).toEqual([]);
      // The repository's own writes are not someone else's changes; another file in the same folder is.
      changes.ownWrites('Archive', ['3.c:2,']);
      renameSync(path.join(root, '.Archive', 'tmp', '3.c'), path.join(root, '.Archive', 'cur', '3.c:2,'));
      expect(await changes.next(1_000)).toEqual([]);
      const third = changes.next(30_000);
      changes.ownWrites('Archive', ['4.d:2,']);
      writeFileSync(path.join(root, '.Archive', 'cur', '4.d:2,'), 'x');
      writeFileSync(path.join(root, '.Archive', 'cur', '5.e:2,'), 'x');
      expect(await third).toEqual(['Archive']);
    } finally {
      changes.close();
    }
  });

  it('nested: a file in A/B/cur is folder A/B', async () => {
    const root = maildir(['A/B']);
    const changes = new FolderChanges(root, 'nested');
    try {
      const next = changes.next(30_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      writeFileSync(path.join(root, 'A', 'B', 'cur', '1.a:2,'), 'x');
      expect(await next).toEqual(['A/B']);
    } finally {
      changes.close();
    }
  });

  it("nested with INBOX in a directory (mbsync's Inbox ~/Mail/INBOX): INBOX's files are INBOX, and a folder made at the top is heard", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'imapfw-changes-'));
    made.push(root);
    for (const dir of ['INBOX', 'Archive']) for (const sub of ['cur', 'new', 'tmp']) mkdirSync(path.join(root, dir, sub), { recursive: true });
    const changes = new FolderChanges(root, 'nested', 'INBOX');
    try {
      const first = changes.next(30_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      writeFileSync(path.join(root, 'INBOX', 'new', '1.a'), 'x');
      expect(await first).toEqual(['INBOX']);
      const second = changes.next(30_000);
      mkdirSync(path.join(root, 'Projects'));
      mkdirSync(path.join(root, 'Projects', 'cur'));
      expect(await second).toEqual(['Projects']);
    } finally {
      changes.close();
    }
  });
});
