// `imapfw migrate --rebuild-state`: a state database made unreadable stops
// the run with exit 5 naming the option; a dry run with it leaves the
// database as it is; a run with it moves the database aside and finds every
// message already on the target by identity: nothing is copied twice. With
// --batch it rebuilds each account whose state is unreadable, and keeps the
// others'.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMigrateArgs } from '../../src/apps/migrate/args.js';
import type { AccountResult } from '../../src/apps/migrate/batch.js';
import { describeAppRun, startApp } from '../support/cli-run.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages, makeMessage } from '../support/messages.js';
import { folderDifferences, runMigrate, tempDir, type BatchJson, type Side } from './support.js';

const FOLDERS = { INBOX: 6, 'Archive/2024': 4 };
const TOTAL = Object.values(FOLDERS).reduce((n, count) => n + count, 0);
const GARBAGE = Buffer.from('this is not a database\n'.repeat(400));

let server: DovecotServer;
let work: { dir: string; remove(): void };
const from = (): Side => ({ server, user: 'alice' });
const to = (): Side => ({ server, user: 'bob' });

beforeAll(async () => {
  server = await startDovecot({ users: { alice: 'alice-pw', bob: 'bob-pw', carol: 'carol-pw', dave: 'dave-pw' } });
  for (const [folder, count] of Object.entries(FOLDERS)) {
    await appendMessages(server, 'alice', folder, Array.from({ length: count }, (_, n) => ({ raw: makeMessage({ subject: `${folder} ${n}` }), flags: n % 2 ? ['\\Seen'] : [] })));
  }
  work = tempDir();
});

afterAll(async () => {
  await server?.stop();
  work?.remove();
});

describe('migrate --rebuild-state', () => {
  it('an unreadable state: exit 5 naming --rebuild-state; a dry run with it changes nothing; a run with it completes, copying nothing twice', async () => {
    const state = path.join(work.dir, 'state');
    const first = await runMigrate(from(), to(), state);
    expect(first.code, describeAppRun(first)).toBe(0);
    expect(first.summary).toMatchObject({ transferred: TOTAL, complete: true });

    const [database] = readdirSync(state).filter((name) => name.endsWith('.sqlite'));
    const file = path.join(state, database!);
    for (const suffix of ['-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
    writeFileSync(file, GARBAGE);

    const refused = await runMigrate(from(), to(), state);
    expect(refused.code, describeAppRun(refused)).toBe(5);
    expect(refused.stderr).toMatch(/is unreadable; run again with --rebuild-state/);

    const dry = await runMigrate(from(), to(), state, ['--rebuild-state', '--dry-run']);
    expect(dry.code, describeAppRun(dry)).toBe(0);
    expect(dry.summary).toMatchObject({ dryRun: true, transferred: 0, alreadyPresent: TOTAL });
    expect(readFileSync(file)).toStrictEqual(GARBAGE);
    expect(readdirSync(state).filter((name) => name.includes('.corrupt-'))).toEqual([]);

    const rebuilt = await runMigrate(from(), to(), state, ['--rebuild-state']);
    expect(rebuilt.code, describeAppRun(rebuilt)).toBe(0);
    expect(rebuilt.summary).toMatchObject({ transferred: 0, alreadyPresent: TOTAL, complete: true, verified: { selected: TOTAL, present: TOTAL, missing: 0 } });
    for (const folder of Object.keys(FOLDERS)) expect(await folderDifferences(from(), folder, to(), folder), folder).toEqual([]);
    // The unreadable database was moved aside untouched, and a new one holds the pairs.
    const [aside] = readdirSync(state).filter((name) => name.startsWith(`${database}.corrupt-`));
    expect(readFileSync(path.join(state, aside!))).toStrictEqual(GARBAGE);
    const again = await runMigrate(from(), to(), state);
    expect(again.summary, describeAppRun(again)).toMatchObject({ transferred: 0, alreadyPresent: 0, alreadyMigrated: TOTAL, complete: true });
  }, 120_000);

  it('with --batch: rebuilds the accounts whose state is unreadable, keeps the readable ones', async () => {
    const state = path.join(work.dir, 'batch-state');
    const csv = path.join(work.dir, 'accounts.csv');
    const lines = ['carol', 'dave'].map((user) => `${user},${server.url('alice')},alice-pw,${server.url(user)},${user}-pw`);
    writeFileSync(csv, `name,from,from_password,to,to_password\n${lines.join('\n')}\n`, { mode: 0o600 });
    const batch = (args: string[] = []) => startApp<BatchJson>('migrate', ['--batch', csv, '--state-dir', state, '--json', ...args], { timeoutMs: 90_000 }).done;
    const first = await batch();
    expect(first.code, describeAppRun(first)).toBe(0);
    writeFileSync(path.join(state, 'carol.sqlite'), GARBAGE);

    const broken = await batch();
    expect(broken.code, describeAppRun(broken)).toBe(1);
    expect(broken.summary!.failed.map((f) => [f.name, f.exitCode, f.errors[0]?.message])).toEqual([['carol', 5, expect.stringMatching(/is unreadable; run again with --rebuild-state/)]]);
    const rebuilt = await batch(['--rebuild-state']);
    expect(rebuilt.code, describeAppRun(rebuilt)).toBe(0);
    const results = readFileSync(rebuilt.summary!.results!, 'utf8').trim().split('\n').slice(-2).map((line) => JSON.parse(line) as AccountResult);
    const byName = Object.fromEntries(results.map((result) => [result.name, result.summary]));
    expect(byName.carol).toMatchObject({ transferred: 0, alreadyPresent: TOTAL, complete: true });
    expect(byName.dave).toMatchObject({ transferred: 0, alreadyPresent: 0, alreadyMigrated: TOTAL, complete: true });
    expect(readdirSync(state).filter((name) => name.includes('.corrupt-'))).toEqual([expect.stringMatching(/^carol\.sqlite\.corrupt-/)]);
  }, 120_000);

  it('a name given to another migration (a --batch CSV reused) does not take its state: exit 2 naming both; --rebuild-state starts anew', async () => {
    const state = path.join(work.dir, 'named-state');
    const batch = (source: string, args: string[] = []) => {
      const csv = path.join(work.dir, `${source}.csv`);
      writeFileSync(csv, `name,from,from_password,to,to_password\nshared,${server.url(source)},${source}-pw,${server.url('dave')},dave-pw\n`, { mode: 0o600 });
      return startApp<BatchJson>('migrate', ['--batch', csv, '--state-dir', state, '--json', ...args], { timeoutMs: 90_000 }).done;
    };
    const first = await batch('alice');
    expect(first.code, describeAppRun(first)).toBe(0);
    const other = await batch('bob');
    expect(other.code, describeAppRun(other)).toBe(2);
    expect(other.summary!.failed.map((f) => [f.name, f.exitCode, f.errors[0]?.message])).toEqual([
      ['shared', 2, expect.stringContaining('is that of migrate alice@127.0.0.1 -> dave@127.0.0.1, not of migrate bob@127.0.0.1 -> dave@127.0.0.1')],
    ]);
    const rebuilt = await batch('bob', ['--rebuild-state']);
    expect(rebuilt.code, describeAppRun(rebuilt)).toBe(0);
    expect(readdirSync(state).filter((name) => name.includes('.of-another-'))).toEqual([expect.stringMatching(/^shared\.sqlite\.of-another-/)]);
  }, 120_000);

  it('is refused with --queue: the state is each worker\'s own', async () => {
    const csv = path.join(work.dir, 'never-read.csv');
    await expect(parseMigrateArgs(['--batch', csv, '--queue', 'redis://127.0.0.1:6379', '--rebuild-state'])).rejects.toThrow(/--rebuild-state does not go with --queue/);
    expect(existsSync(csv)).toBe(false);
  });
});
