import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageFinder } from '../../src/core/maildir/message-finder.js';
import { mail } from '../contract/repository.contract.js';
import { tempMaildir, type TempMaildir } from './helpers.js';

let maildir: TempMaildir | undefined;
afterEach(async () => {
  await maildir?.cleanup();
  maildir = undefined;
});

describe('MessageFinder', () => {
  it('lists a folder it holds no listing of once for lookups made at once, not once per lookup', async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    await repo.scan('INBOX'); // makes the folder
    const ids = ['1700000000.M1P1.a', '1700000000.M2P1.b', '1700000000.M3P1.c', '1700000000.M4P1.d'];
    for (const id of ids) await writeFile(join(root, 'cur', `${id}:2,S`), mail(id));
    let listings = 0;
    const finder = new MessageFinder(root, undefined, () => listings++);
    const found = await Promise.all(ids.map((id) => finder.withFile(id, async (file) => file.name)));
    expect(found).toEqual(ids.map((id) => `${id}:2,S`));
    expect(listings).toBe(1);
  });
});
