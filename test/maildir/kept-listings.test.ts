// The folder listings a Maildir keeps for lookups by id are bounded by their files, not only by their folders:
// memory does not grow with the mailbox (an initial mirror of 10 folders of 10,000 messages held 4 listings whole).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempMaildir, type TempMaildir } from './helpers.js';
import { folderAt } from '../support/folder-at.js';

let maildir: TempMaildir | undefined;
afterEach(async () => {
  await maildir?.cleanup();
  maildir = undefined;
});

/** `count` messages put into the folder's cur/ behind the repository's back, their sizes in their names. */
async function fill(dir: string, prefix: string, count: number): Promise<void> {
  const names = Array.from({ length: count }, (_, i) => `1700000000.M${i}P1.${prefix},S=9:2,S`);
  for (let i = 0; i < names.length; i += 500) await Promise.all(names.slice(i, i + 500).map((name) => writeFile(join(dir, 'cur', name), 'Subject: x')));
}

function keptFiles(repo: object): number[] {
  const { listings } = repo as { listings: Map<string, Map<string, unknown>> };
  return [...listings.values()].map((listing) => listing.size);
}

describe('kept listings', () => {
  it('hold at most 20,000 files in all, the newest folder always; a folder whose listing went is listed again for a lookup', { timeout: 60_000 }, async () => {
    maildir = await tempMaildir({ fsync: false });
    const { root, repo } = maildir;
    for (const folder of ['A', 'B', 'C']) await repo.createFolder(folder);
    await fill(join(root, '.A'), 'a', 12_000);
    await fill(join(root, '.B'), 'b', 9_000);
    expect((await repo.scan('A')).messages).toHaveLength(12_000);
    expect(keptFiles(repo)).toEqual([12_000]);
    expect((await repo.scan('B')).messages).toHaveLength(9_000);
    expect(keptFiles(repo)).toEqual([9_000]);

    // Files written to a folder with a kept listing go into it; past the bound, the older listings go.
    await fill(join(root, '.C'), 'c', 11_000);
    expect((await repo.scan('C')).messages).toHaveLength(11_000);
    expect(keptFiles(repo)).toEqual([9_000, 11_000]);
    const stored = await repo.store('B', [{ body: new TextEncoder().encode('Subject: new\r\n\r\nx'), flags: [], internalDate: 0 }]);
    expect(keptFiles(repo)).toEqual([11_000]);

    // A's listing went: a lookup lists it again, and finds its message.
    const a = await folderAt(repo, 'A');
    await repo.setFlags(a, [{ id: '1700000000.M7P1.a,S=9', add: ['\\Flagged'], remove: [] }]);
    expect([...((await repo.scan('A')).messages.find((message) => message.id === '1700000000.M7P1.a,S=9')?.flags ?? [])].sort()).toEqual(['\\Flagged', '\\Seen']);
    expect((await repo.scan('B')).messages.map((message) => message.id)).toContain(stored[0]);
  });

  it("goes once more than 20,000 files were written into it (a folder's first copy), and a lookup then lists the folder anew; a big folder's listing is kept whole", { timeout: 120_000 }, async () => {
    maildir = await tempMaildir({ fsync: false });
    const { root, repo } = maildir;
    await repo.createFolder('D');
    expect((await repo.scan('D')).messages).toHaveLength(0);
    expect(keptFiles(repo)).toEqual([0]);
    const message = (subject: string) => ({ body: new TextEncoder().encode(`Subject: ${subject}\r\n\r\nx`), flags: [], internalDate: 0 });
    for (let i = 0; i < 20; i++) await repo.store('D', Array.from({ length: 1000 }, (_, j) => message(`${i}-${j}`)));
    expect(keptFiles(repo)).toEqual([20_000]);
    const [last] = await repo.store('D', [message('last')]);
    expect(keptFiles(repo)).toEqual([]);
    await repo.setFlags(await folderAt(repo, 'D'), [{ id: last!, add: ['\\Flagged'], remove: [] }]);
    expect((await repo.scan('D')).messages.find((m) => m.id === last)?.flags).toEqual(['\\Flagged']);

    // A folder listed with more files than that keeps its listing, and what is written goes into it: its lookups need it.
    await repo.createFolder('E');
    await fill(join(root, '.E'), 'e', 25_000);
    expect((await repo.scan('E')).messages).toHaveLength(25_000);
    await repo.store('E', [message('one more')]);
    expect(keptFiles(repo)).toEqual([25_001]);
  });
});
