// `imapfw migrate --batch`: five accounts from a CSV, three at once, one of
// them with a wrong target password. The four others complete; the summary
// names the failed one; the exit code says partial; the results file has a
// line per account; a second batch run copies nothing for the four and
// appends its lines; a dry run neither creates nor touches the results file.
import { existsSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeAppRun, startApp } from '../support/cli-run.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages, makeMessage } from '../support/messages.js';
import type { AccountResult } from '../../src/apps/migrate/batch.js';
import { folderDifferences, tempDir, type BatchJson, type Side } from './support.js';

const ACCOUNTS = ['one', 'two', 'three', 'four', 'five'];
const FOLDERS = ['INBOX', 'Projects/alpha'];
const WRONG = 'three';

let server: DovecotServer;
let work: { dir: string; remove(): void };
let csv: string;
const src = (name: string): Side => ({ server, user: `src-${name}` });
const dst = (name: string): Side => ({ server, user: `dst-${name}` });

beforeAll(async () => {
  const users = Object.fromEntries(ACCOUNTS.flatMap((name) => [[`src-${name}`, `src-${name}-pw`], [`dst-${name}`, `dst-${name}-pw`]]));
  server = await startDovecot({ users });
  for (const [i, name] of ACCOUNTS.entries()) {
    for (const folder of FOLDERS) {
      const messages = Array.from({ length: 4 + i }, (_, n) => ({
        raw: makeMessage({ subject: `${name} ${folder} ${n}`, size: 500 + n * 100 }),
        flags: n % 2 ? ['\\Seen', 'todo'] : [],
        internalDate: new Date(Date.UTC(2022, 5, 1 + n)),
      }));
      await appendMessages(server, `src-${name}`, folder, messages);
    }
  }
  work = tempDir();
  csv = path.join(work.dir, 'accounts.csv');
  // Both column styles and all three password sources; one wrong password.
  const lines = ACCOUNTS.map((name, i) => {
    const target = name === WRONG ? 'not-the-password' : `dst-${name}-pw`;
    return i % 2
      ? `${name},,${server.host}:${server.port},starttls,src-${name},src-${name}-pw,,${server.url(`dst-${name}`)},,printf %s ${target}`
      : `${name},${server.url(`src-${name}`)},,,,,SRC_PW_${i},${server.url(`dst-${name}`)},${target},`;
  });
  writeFileSync(csv, `name,from,from_host,from_security,from_user,from_password,from_password_env,to,to_password,to_password_command\n${lines.join('\n')}\n`);
  chmodSync(csv, 0o600);
});

afterAll(async () => {
  await server?.stop();
  work?.remove();
});

function runBatch(json: boolean, args: string[] = []) {
  const env = Object.fromEntries(ACCOUNTS.map((name, i) => [`SRC_PW_${i}`, `src-${name}-pw`]));
  return startApp<BatchJson>('migrate', ['--batch', csv, '--parallel', '3', '--state-dir', path.join(work.dir, 'state'), ...(json ? ['--json'] : []), ...args], { env, timeoutMs: 150_000 }).done;
}

const readResults = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as AccountResult);

describe('migrate --batch', () => {
  it('migrates four accounts while the fifth fails its login; names it; exits 1; a rerun copies nothing', async () => {
    const resultsFile = path.join(work.dir, 'accounts.results.jsonl');
    const dry = await runBatch(true, ['--dry-run']);
    expect(dry.summary, describeAppRun(dry)).toMatchObject({ accounts: 5, complete: false });
    expect(dry.summary!.results).toBeUndefined();
    expect(existsSync(resultsFile)).toBe(false);
    expect(dry.stderr).toMatch(/\] one: done, 8 to transfer, 0 already on target, 0 migrated before, /);

    const run = await runBatch(true);
    expect(run.code, describeAppRun(run)).toBe(1);
    const total = ACCOUNTS.reduce((n, _, i) => (ACCOUNTS[i] === WRONG ? n : n + FOLDERS.length * (4 + i)), 0);
    expect(run.summary).toMatchObject({ accounts: 5, completed: 4, complete: false, total: { transferred: total, verified: { selected: total, present: total, missing: 0 } } });
    expect(run.summary!.failed.map((f) => [f.name, f.exitCode, f.errors[0]?.code])).toEqual([[WRONG, 3, 'EAUTH']]);
    for (const name of ACCOUNTS.filter((n) => n !== WRONG)) {
      for (const folder of FOLDERS) expect(await folderDifferences(src(name), folder, dst(name), folder), `${name} ${folder}`).toEqual([]);
    }
    // A progress line per account as it starts and as it ends.
    for (const name of ACCOUNTS) expect(run.stderr).toMatch(new RegExp(`\\] ${name}: started`));
    expect(run.stderr).toMatch(new RegExp(`\\] ${WRONG}: FAILED.*EAUTH`));

    expect(run.summary!.results).toBe(resultsFile);
    const results = readResults(resultsFile);
    expect(results.map((r) => [r.name, r.complete]).sort()).toEqual(ACCOUNTS.map((name) => [name, name !== WRONG]).sort());
    const firstRun = readFileSync(resultsFile, 'utf8');
    expect(firstRun).not.toMatch(/-pw/);

    const again = await runBatch(false);
    expect(again.code, describeAppRun(again)).toBe(1);
    expect(again.stdout).toMatch(/^ {2}transferred +0 messages/m);
    // The account's end line names its counts as the summary does ('already on target', 'migrated before').
    expect(again.stderr).toMatch(/\] one: done, 0 transferred, 0 already on target, 8 migrated before, /);
    expect(again.stdout).toMatch(new RegExp(`^ {2}migrated before +${total}$`, 'm'));
    expect(again.stdout).toMatch(new RegExp(`^ {2}FAILED account +${WRONG}: `, 'm'));
    const outcome = again.stdout.split('\n').filter((line) => /^ {2}result /.test(line));
    expect(outcome).toHaveLength(1);
    expect(outcome[0]).toMatch(new RegExp(`INCOMPLETE: 1 of 5 accounts not complete \\(${WRONG}\\)`));

    // Appended: the first run's lines (its failure record among them) stay, the rerun's follow.
    const both = readFileSync(resultsFile, 'utf8');
    expect(both.startsWith(firstRun)).toBe(true);
    expect(readResults(resultsFile).map((r) => [r.name, r.complete]).sort()).toEqual([...results, ...results].map((r) => [r.name, r.complete]).sort());
    // A dry run leaves the real results as they are.
    const dryAgain = await runBatch(false, ['--dry-run']);
    expect(dryAgain.stdout, describeAppRun(dryAgain)).toMatch(/^ {2}results +none written \(dry run\)$/m);
    expect(readFileSync(resultsFile, 'utf8')).toBe(both);
  }, 170_000);
});
