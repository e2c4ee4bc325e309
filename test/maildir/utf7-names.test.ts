import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/api/errors.js';
import { MaildirRepository } from '../../src/api/repositories/maildir.js';
import { modifiedUtf7Name } from '../../src/core/maildir/utf7-names.js';

describe('modifiedUtf7Name', () => {
  it('reads the names mbsync, offlineimap and Dovecot write for non-ASCII folders', async () => {
    expect(await modifiedUtf7Name('Entw&APw-rfe')).toBe('Entwürfe');
    expect(await modifiedUtf7Name('&AMk-l&AOk-ments envoy&AOk-s')).toBe('Éléments envoyés');
    expect(await modifiedUtf7Name('&ZeVnLIqe-')).toBe('日本語');
    expect(await modifiedUtf7Name('Lists/&ZeVnLIqe-')).toBe('Lists/日本語');
  });

  it('leaves alone what is not such a name: plain, "&-", an "&" run that is not canonical, UTF-8', async () => {
    for (const name of ['INBOX', 'R&D', 'Tom&-Jerry', 'Tom&Jerry-Show', 'A&B-C', 'Entwürfe', 'Été&AMk-']) expect(await modifiedUtf7Name(name), name).toBeUndefined();
  });
});

describe('a Maildir with folders named in modified UTF-7', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  function tree(dirs: string[]): string {
    const root = mkdtempSync(join(tmpdir(), 'imapfw-utf7-'));
    roots.push(root);
    for (const dir of ['', ...dirs]) for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(root, dir, sub), { recursive: true });
    return root;
  }

  for (const [layout, dirs, renames] of [
    ['maildir++', ['.Entw&APw-rfe', '.R&D'], '.Entw&APw-rfe -> .Entwürfe ("Entwürfe")'],
    ['nested', ['Entw&APw-rfe', 'R&D', 'Lists/&ZeVnLIqe-'], 'Entw&APw-rfe -> Entwürfe ("Entwürfe"), Lists/&ZeVnLIqe- -> Lists/日本語 ("Lists/日本語")'],
  ] as const) {
    it(`is refused as a whole, naming each rename (${layout})`, async () => {
      const repo = new MaildirRepository({ root: tree([...dirs]), layout, fsync: false });
      const listing = repo.listFolders();
      await expect(listing).rejects.toThrow(ConfigError);
      await expect(listing).rejects.toThrow(new RegExp(`Rename them first: ${renames.replace(/[()]/g, '\\$&')}$`));
    });
  }

  it('renamed as told, every folder is read', async () => {
    const repo = new MaildirRepository({ root: tree(['.Entwürfe', '.R&D']), layout: 'maildir++', fsync: false });
    expect((await repo.listFolders()).map((f) => f.name)).toEqual(['INBOX', 'Entwürfe', 'R&D']);
  });
});
