// makeDirs / makeDirsSync: `mkdir -p` that ends. Node's `{ recursive: true }` spins at full CPU forever under
// /proc (a directory that answers ENOENT for a child it cannot hold); these must fail at once instead.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDirs, makeDirsSync } from '../src/core/make-dirs.js';

const scratch = mkdtempSync(join(tmpdir(), 'imapfw-make-dirs-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.each([
  ['makeDirs', (dir: string, mode?: number) => makeDirs(dir, mode)],
  ['makeDirsSync', async (dir: string, mode?: number) => makeDirsSync(dir, mode)],
])('%s', (name, make) => {
  it('makes a directory and its missing parents with the mode given; a directory already there is fine', async () => {
    const dir = join(scratch, name, 'a', 'b', 'c');
    await make(dir, 0o700);
    for (const made of [dir, join(scratch, name, 'a')]) expect(statSync(made).mode & 0o777).toBe(0o700);
    await make(dir, 0o700);
    expect(statSync(dir).isDirectory()).toBe(true);
  });

  it('fails at once under /proc, where a parent exists but cannot hold the child', { timeout: 5_000 }, async () => {
    await expect(make('/proc/imapfw-no-such/Maildir')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('fails when a file stands in the path', async () => {
    const file = join(scratch, `${name}-file`);
    writeFileSync(file, '');
    await expect(make(join(file, 'below'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(make(file)).rejects.toMatchObject({ code: 'EEXIST' });
  });
});
