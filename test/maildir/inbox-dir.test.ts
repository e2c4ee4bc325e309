// INBOX in a directory of its own (nested layout, `inbox`: mbsync's
// `Inbox ~/Mail/INBOX` with `SubFolders Verbatim`): INBOX and its sub-folders
// live there, the root is no folder, and mail in the place the scheme does
// not read (the root's own cur/, or an INBOX directory while INBOX is the
// root) is listed as skipped with what to do, never passed over in silence.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { crlf, listTree, tempMaildir, type TempMaildir } from './helpers.js';

let maildir: TempMaildir | undefined;
afterEach(async () => {
  await maildir?.cleanup();
  maildir = undefined;
});

const mail = (subject: string) => crlf(`Message-ID: <${subject}@inbox-dir.test>`, `Subject: ${subject}`, '', 'body');

/** A message file another tool left in `dir`'s cur/. */
function drop(dir: string, name: string): void {
  mkdirSync(join(dir, 'cur'), { recursive: true });
  for (const sub of ['new', 'tmp']) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, 'cur', name), mail(name));
}

describe('a Maildir whose INBOX is a directory in the root', () => {
  it('makes INBOX there, stores INBOX and its sub-folders there, and never makes the root a folder', async () => {
    maildir = await tempMaildir({ layout: 'nested', inbox: 'INBOX' });
    const { repo, root } = maildir;
    await repo.createFolder('INBOX/Sub');
    await repo.createFolder('Archive');
    await repo.store('INBOX', [{ body: mail('in'), flags: [], internalDate: 0 }]);
    await repo.store('INBOX/Sub', [{ body: mail('sub'), flags: [], internalDate: 0 }]);
    expect((await repo.listFolders()).map((folder) => folder.name)).toEqual(['INBOX', 'Archive', 'INBOX/Sub']);
    expect(existsSync(join(root, 'cur'))).toBe(false);
    const tree = await listTree(root);
    expect(tree.filter((path) => /\/cur\/./.test(path)).map((path) => path.split('/cur/')[0]).sort()).toEqual(['INBOX', 'INBOX/Sub']);
    await expect(repo.deleteFolder('INBOX')).rejects.toThrow('INBOX cannot be deleted: it is the Maildir directory INBOX/');
  });

  it.each([
    ['nested', /: move those messages into INBOX\/, or make the root INBOX again \(no "inbox" option, --inbox\)$/],
    // The flat layout cannot have INBOX at the root.
    ['flat', /: move those messages into INBOX\/$/],
  ] as const)("lists the root's own mail as skipped, saying where INBOX is (%s)", async (layout, remedy) => {
    maildir = await tempMaildir({ layout, inbox: 'INBOX' });
    const { repo, root } = maildir;
    await repo.createFolder('Archive');
    drop(root, '1.other:2,S');
    expect(await repo.listFolders()).toEqual([
      { name: 'INBOX' },
      { name: 'Archive' },
      { name: '.', skipped: expect.stringMatching(/^the Maildir root's own cur\/ or new\/ holds mail, but INBOX is the directory INBOX\/ here/) },
    ]);
    expect((await repo.listFolders()).find((folder) => folder.name === '.')?.skipped).toMatch(remedy);
  });

  it('with INBOX the root, lists an INBOX directory holding mail as skipped, naming the option that reads it', async () => {
    maildir = await tempMaildir({ layout: 'nested' });
    const { repo, root } = maildir;
    await repo.createFolder('INBOX/Sub');
    drop(join(root, 'INBOX'), '1.mbsync,U=1:2,S');
    expect(await repo.listFolders()).toEqual([
      { name: 'INBOX' },
      { name: 'INBOX/Sub' },
      { name: 'INBOX', skipped: expect.stringMatching(/^the directory INBOX holds mail, but INBOX is the Maildir root here: .* \(--inbox INBOX\)/) },
    ]);
  });
});
