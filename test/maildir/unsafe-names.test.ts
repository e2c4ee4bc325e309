import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FolderNameError, StoreError } from '../../src/api/errors.js';
import { MaildirRepository } from '../../src/api/repositories/maildir.js';
import { UNSAFE_FOLDER_NAMES, mail } from '../contract/repository.contract.js';
import { LAYOUTS, listTree } from './helpers.js';
import { folderAt } from '../support/folder-at.js';

/** A server folder named like another tool's modified UTF-7 directory for "Été": refused (see utf7-names.ts). */
const READS_AS_UTF7 = '&AMk-t&AOk-';

const NAMES = [
  ...UNSAFE_FOLDER_NAMES.filter((name) => name !== READS_AS_UTF7),
  'R&D',
  'Tom&-Jerry',
  'Tom&Jerry-Show',
  '../..',
  '../../../../../../etc/passwd',
  '/',
  '/abs',
  'a//b',
  'trailing/',
  '',
  'cur',
  'new/tmp',
  'INBOX/Sub',
  'dovecot-uidlist',
  'imapfw-uidvalidity',
  'tab\tand\nnewline',
  '...',
  '%',
  '%25',
  '\u0000',
];

const parents: string[] = [];
afterEach(async () => {
  for (const parent of parents.splice(0)) await rm(parent, { recursive: true, force: true });
});

/** A Maildir three levels below a private directory, so that any '..' escape would land where we look. */
async function deepMaildir(layout: (typeof LAYOUTS)[number]) {
  const parent = await mkdtemp(join(tmpdir(), 'imapfw-unsafe-'));
  parents.push(parent);
  const root = join(parent, 'l1', 'l2', 'Maildir');
  await mkdir(join(parent, 'etc'));
  return { parent, root, repo: new MaildirRepository({ root, layout, create: true, fsync: false }) };
}

describe.each(LAYOUTS)('unsafe folder names (%s)', (layout) => {
  it('round-trip through createFolder/listFolders/store/fetch and never create anything outside the root', async () => {
    const { parent, root, repo } = await deepMaildir(layout);
    await repo.listFolders(); // creates the root
    const outsideBefore = (await listTree(parent)).filter((p) => !p.startsWith('l1/l2/Maildir'));

    for (const name of NAMES) {
      await repo.createFolder(name);
      const body = mail(`folder ${JSON.stringify(name)}`);
      const [id] = await repo.store(name, [{ body, flags: ['\\Seen'], internalDate: 1_700_000_000_000 }]);
      const [fetched] = await repo.fetch(await folderAt(repo, name), [id!]);
      expect(Buffer.from(fetched!.body).equals(Buffer.from(body))).toBe(true);
    }
    const listed = (await repo.listFolders()).map((f) => f.name);
    for (const name of NAMES) expect(listed, JSON.stringify(name)).toContain(name);
    expect(new Set(listed).size).toBe(listed.length);

    const outsideAfter = (await listTree(parent)).filter((p) => !p.startsWith('l1/l2/Maildir'));
    expect(outsideAfter).toEqual(outsideBefore);
    // No entry under the root carries a control character or is a '..' segment.
    for (const path of await listTree(root)) {
      expect(path).not.toMatch(/[\u0000-\u001f\u007f]/);
      expect(path.split('/')).not.toContain('..');
    }
    // Every folder holds exactly the one message stored there (two names never share a directory).
    for (const name of NAMES) expect((await repo.scan(name)).messages, JSON.stringify(name)).toHaveLength(1);
  });

  it('refuses a name whose directory would read as modified UTF-7 of another name, and its sub-folders, with a FolderNameError', async () => {
    const { repo } = await deepMaildir(layout);
    for (const name of [READS_AS_UTF7, `${READS_AS_UTF7}/Sub`]) await expect(repo.createFolder(name), name).rejects.toThrow(FolderNameError);
    expect((await repo.listFolders()).map((f) => f.name)).toEqual(['INBOX']);
  });

  it('refuses a name that is not valid Unicode with a FolderNameError', async () => {
    const { repo } = await deepMaildir(layout);
    await expect(repo.createFolder('bad\uD800name')).rejects.toBeInstanceOf(FolderNameError);
    await expect(repo.scan('bad\uD800name')).rejects.toBeInstanceOf(FolderNameError);
  });

  it('refuses to write through a folder directory that is a symlink out of the root', async () => {
    const { parent, root, repo } = await deepMaildir(layout);
    await repo.listFolders();
    const outside = join(parent, 'etc');
    for (const sub of ['cur', 'new', 'tmp']) await mkdir(join(outside, sub));
    await symlink(outside, join(root, layout === 'maildir++' ? '.Evil' : 'Evil'));
    expect((await repo.listFolders()).map((f) => f.name)).not.toContain('Evil');
    await expect(repo.store('Evil', [{ body: mail('x'), flags: [], internalDate: 0 }])).rejects.toBeInstanceOf(StoreError);
    await expect(repo.createFolder('Evil/Child')).rejects.toBeInstanceOf(StoreError);
    expect(await listTree(outside)).toEqual(['cur', 'new', 'tmp']);
  });
});
