// The engines' listing budget (SyncFolderOptions.listingBudget): folders bigger than the budget are listed one at a
// time, whatever the number of connections, and the mirror is still whole. Run as a user runs their own app
// (`imapfw run`), with an IMAP repository that counts the listings it serves at once.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { runCli } from './helpers.js';
import { mirrorDifferences, mirrorDirs, seedAccount, USER, type MirrorDirs } from './support.js';

const APP = fileURLToPath(new URL('./fixtures/listing-budget-app.ts', import.meta.url));
const PASSWORD = 'budget-pw';
const FOLDERS = ['A', 'B', 'C'];

let server: DovecotServer;
let dirs: MirrorDirs[] = [];

beforeAll(async () => {
  server = await startDovecot({ users: { [USER]: PASSWORD } });
  await seedAccount(server, FOLDERS.map((folder) => ({ folder, count: 40 })));
});

afterAll(async () => {
  await server?.stop();
  for (const dir of dirs) dir.remove();
});

async function mirrorWithBudget(budget: number): Promise<{ copied: number; errors: unknown[]; mostAtOnce: number; maildir: string }> {
  const dir = mirrorDirs();
  dirs.push(dir);
  const run = await runCli(['run', APP, '--', '--remote', server.url(USER), '--maildir', dir.maildir, '--state-dir', join(dir.root, 'state'), '--budget', String(budget)], {
    env: { BUDGET_PW: PASSWORD },
  });
  expect(run.status, `stdout: ${run.stdout}\nstderr: ${run.stderr}`).toBe(0);
  return { ...JSON.parse(run.stdout.trim().split('\n').at(-1)!), maildir: dir.maildir };
}

describe('listing budget', () => {
  it('lists folders bigger than the budget one at a time on three connections; the mirror is whole', async () => {
    const held = await mirrorWithBudget(30);
    expect(held).toMatchObject({ copied: 120, errors: [], mostAtOnce: 1 });
    expect(await mirrorDifferences(server, held.maildir, ['INBOX', ...FOLDERS])).toEqual([]);
  });

  it('lets folders that fit in it be listed together (the count above can see overlapping listings)', async () => {
    const shared = await mirrorWithBudget(1_000);
    expect(shared).toMatchObject({ copied: 120, errors: [] });
    expect(shared.mostAtOnce).toBeGreaterThan(1);
  });
});
