import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/api/errors.js';
import { mail } from '../contract/repository.contract.js';
import { LAYOUTS, listTree, tempMaildir, type TempMaildir } from './helpers.js';
import { folderAt } from '../support/folder-at.js';

let maildir: TempMaildir | undefined;
afterEach(async () => {
  await maildir?.cleanup();
  maildir = undefined;
});

describe.each(LAYOUTS)('foreign files (%s)', (layout) => {
  it('are tolerated, reported once, and never touched', async () => {
    maildir = await tempMaildir({ layout });
    const { root, repo, parent } = maildir;
    await repo.createFolder('Work');
    const work = join(root, layout === 'maildir++' ? '.Work' : 'Work');
    // Where INBOX's entries are, relative to the root: the root itself, but in the flat layout.
    const at = layout === 'flat' ? 'INBOX/' : '';
    await writeFile(join(parent, 'secret'), 'not mail');

    const foreign: Record<string, string> = {
      '.DS_Store': 'finder',
      'dovecot-uidlist': '3 V1 N1\n',
      'dovecot.index.log': 'index',
      'cur/no-info-part': 'a file without :2,',
      'cur/.hidden:2,S': 'hidden',
      'new/.DS_Store': 'finder',
    };
    for (const [path, content] of Object.entries(foreign)) await writeFile(join(root, at + path), content);
    await writeFile(join(work, 'stray.txt'), 'notes');
    await mkdir(join(root, `${at}cur`, 'a-directory'));
    await mkdir(join(root, layout === 'maildir++' ? '.NotAFolder' : 'NotAFolder', 'sub'), { recursive: true });
    // A symlink dressed as a message: must never be read (its target would be uploaded).
    await symlink(join(parent, 'secret'), join(root, `${at}cur`, '1700000000.M1P1.evil:2,S'));
    // A message delivered by an MDA: new/, no info part. It is a message, not foreign.
    await writeFile(join(root, `${at}new`, '1700000001.M2P2.mda'), mail('from the MDA'));
    const treeBefore = await listTree(root);

    expect((await repo.listFolders()).map((f) => f.name)).toEqual(['INBOX', 'Work']);
    const scan = await repo.scan('INBOX');
    expect(scan.messages.map((m) => [m.id, m.flags])).toEqual([['1700000001.M2P2.mda', []]]);
    expect(await repo.fetch(await folderAt(repo, 'INBOX'), ['1700000000.M1P1.evil'])).toEqual([]);
    await repo.scan('Work');

    const warned = repo.takeWarnings();
    expect(warned.every((w) => w.code === 'foreign-entry')).toBe(true);
    const warnedPaths = warned.map((w) => w.path!.slice(root.length + 1)).sort();
    expect(warnedPaths).toEqual(
      [
        ...Object.keys(foreign).map((path) => at + path),
        layout === 'maildir++' ? '.Work/stray.txt' : 'Work/stray.txt',
        `${at}cur/a-directory`,
        layout === 'maildir++' ? '.NotAFolder' : 'NotAFolder',
        `${at}cur/1700000000.M1P1.evil:2,S`,
      ].sort(),
    );
    // Reported once per repository, not on every scan.
    await repo.scan('INBOX');
    await repo.listFolders();
    expect(repo.takeWarnings()).toEqual([]);

    // Every operation leaves them alone; the MDA's message moves to cur/ once flagged.
    const [stored] = await repo.store('INBOX', [{ body: mail('ours'), flags: [], internalDate: 0 }]);
    await repo.setFlags(await folderAt(repo, 'INBOX'), [{ id: '1700000001.M2P2.mda', add: ['\\Seen'], remove: [] }]);
    await repo.delete(await folderAt(repo, 'INBOX'), [stored!]);
    await repo.deleteFolder('Work');
    for (const [path, content] of Object.entries(foreign)) expect(await readFile(join(root, at + path), 'utf8')).toBe(content);
    expect(await readFile(join(work, 'stray.txt'), 'utf8')).toBe('notes');
    expect(await readFile(join(parent, 'secret'), 'utf8')).toBe('not mail');
    const treeAfter = await listTree(root);
    // What changed: the MDA's message, Work's own entries, INBOX's uidValidity file created by the first scan.
    const moved = (t: string[]) =>
      t.filter((p) => !p.includes('1700000001.M2P2.mda') && !/^\.?Work\/(cur|new|tmp|maildirfolder|imapfw-uidvalidity)$/.test(p) && p !== `${at}imapfw-uidvalidity`);
    expect(moved(treeAfter)).toEqual(moved(treeBefore));
    expect(treeAfter).toContain(`${at}cur/1700000001.M2P2.mda:2,S`);
    // 'Work' lost its cur/: no longer a folder; its directory stays for the foreign file.
    expect((await repo.listFolders()).map((f) => f.name)).toEqual(['INBOX']);
  });
});

describe.each(LAYOUTS)('a directory holding mail under a name imapfw does not write (%s)', (layout) => {
  it('is listed as skipped, with the name to rename it to, and never read or touched', async () => {
    maildir = await tempMaildir({ layout });
    const { root, repo } = maildir;
    // As another tool names a folder 'Odd%Name': its '%' unescaped.
    const dir = layout === 'maildir++' ? '.Odd%Name' : 'Odd%Name';
    for (const sub of ['cur', 'new', 'tmp']) await mkdir(join(root, dir, sub), { recursive: true });
    await writeFile(join(root, dir, 'cur', '1700000000.M1P1.other:2,S'), mail('kept elsewhere'));
    const inside = async () => (await listTree(root)).filter((path) => path.startsWith(dir));
    const before = await inside();

    const listed = await repo.listFolders();
    expect(listed.map((f) => f.name)).toEqual(['INBOX', dir]);
    const skipped = listed.find((f) => f.name === dir)!;
    const renamed = layout === 'maildir++' ? '.Odd%25Name' : 'Odd%25Name';
    expect(skipped.skipped).toBe(`the directory ${dir} holds mail, but its name is not one imapfw writes for a folder (another tool named it): rename it to ${renamed} to sync it as "Odd%Name", or exclude "${dir}"`);
    expect(await inside()).toEqual(before);

    // Renamed as told, it is the folder 'Odd%Name', its message included.
    const { rename } = await import('node:fs/promises');
    await rename(join(root, dir), join(root, renamed));
    expect((await repo.listFolders()).map((f) => [f.name, f.skipped])).toEqual([['INBOX', undefined], ['Odd%Name', undefined]]);
    expect((await repo.scan('Odd%Name')).messages).toHaveLength(1);
  });
});

describe('deleteFolder', () => {
  it('refuses INBOX and a folder holding messages, with a StoreError', async () => {
    maildir = await tempMaildir();
    const { repo } = maildir;
    await repo.createFolder('Full');
    await repo.store('Full', [{ body: mail('keep me'), flags: [], internalDate: 0 }]);
    await expect(repo.deleteFolder('Full')).rejects.toThrow(StoreError);
    await expect(repo.deleteFolder('Full')).rejects.toThrow(/not empty/);
    await expect(repo.deleteFolder('INBOX')).rejects.toThrow(StoreError);
    expect((await repo.scan('Full')).messages).toHaveLength(1);
  });

  it('keeps the sub-folders of a deleted folder (nested layout)', async () => {
    maildir = await tempMaildir({ layout: 'nested' });
    const { repo } = maildir;
    await repo.createFolder('A/B');
    await repo.deleteFolder('A');
    expect((await repo.listFolders()).map((f) => f.name)).toEqual(['INBOX', 'A/B']);
    expect(repo.takeWarnings()).toEqual([]);
  });

  it('removes the parents a deleted folder leaves holding nothing, and only those (nested layout)', async () => {
    maildir = await tempMaildir({ layout: 'nested' });
    const { repo, root } = maildir;
    // A folder renamed on the server goes parent first: A/ is then left holding only B/.
    await repo.createFolder('A/B/C');
    await repo.createFolder('A/Kept');
    await repo.deleteFolder('A');
    await repo.deleteFolder('A/B');
    await repo.deleteFolder('A/B/C');
    expect(await listTree(root)).not.toContain('A/B');
    await repo.deleteFolder('A/Kept');
    expect((await listTree(root)).filter((path) => path.startsWith('A'))).toEqual([]);
    expect((await repo.listFolders()).map((f) => f.name)).toEqual(['INBOX']);
    expect(repo.takeWarnings()).toEqual([]);
  });
});
