// `imapfw migrate --batch` runs its accounts in a few account threads, each
// hosting several accounts at once. Seven accounts, four at once in two
// threads, through a user's app built on migrate (fixtures/crashing-app.ts)
// whose engines of one account throw outside any call: that thread dies.
// The accounts it hosted fail, and only they; one wrong password fails its
// account alone; the others complete and verify; later accounts go to a
// thread started in the dead one's place; a rerun completes the rest, each
// message exactly once.
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeAppRun, startApp } from '../support/cli-run.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { dropIntoMaildir, makeMessage } from '../support/messages.js';
import { folderDifferences, tempDir, type BatchJson, type Side } from './support.js';

const ACCOUNTS = ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6'];
const FOLDERS = ['INBOX', 'Archive'];
const CRASH = 'a1';
const WRONG = 'a2';
const THREADS = 2;
const PARALLEL = 4;
const APP = fileURLToPath(new URL('./fixtures/crashing-app.ts', import.meta.url));

let server: DovecotServer;
let work: { dir: string; remove(): void };
let csv: string;
const password = (side: 'src' | 'dst', name: string) => `${side}-${name}-secret-pw`;
const src = (name: string): Side => ({ server, user: `src-${name}` });
const dst = (name: string): Side => ({ server, user: `dst-${name}` });

beforeAll(async () => {
  server = await startDovecot({ users: Object.fromEntries(ACCOUNTS.flatMap((name) => [[`src-${name}`, password('src', name)], [`dst-${name}`, password('dst', name)]])) });
  for (const name of ACCOUNTS) {
    for (const folder of FOLDERS) {
      await dropIntoMaildir(server, `src-${name}`, folder, Array.from({ length: 6 }, (_, n) => ({ raw: makeMessage({ subject: `${name} ${folder} ${n}`, size: 400 + n * 50 }), flags: n % 2 ? ['\\Seen'] : [] })));
    }
  }
  work = tempDir();
  csv = path.join(work.dir, 'accounts.csv');
  const lines = ACCOUNTS.map((name) => [name, server.url(`src-${name}`), password('src', name), server.url(`dst-${name}`), name === WRONG ? 'not-the-password' : password('dst', name)].join(','));
  writeFileSync(csv, `name,from,from_password,to,to_password\n${lines.join('\n')}\n`);
  chmodSync(csv, 0o600);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  work?.remove();
});

function runBatch(crash: string | undefined) {
  const args = [APP, '--batch', csv, '--parallel', String(PARALLEL), '--threads', String(THREADS), '--state-dir', path.join(work.dir, 'state'), '--json'];
  return startApp<BatchJson>('run', args, { env: crash ? { IMAPFW_TEST_CRASH_ACCOUNT: crash } : {}, timeoutMs: 150_000 }).done;
}

/** Each account's thread, in the order the accounts' engines started (the fixture's lines). */
function threadsOf(stderr: string): { account: string; thread: number; at: number }[] {
  return [...stderr.matchAll(/^test: account (\S+) in thread (\d+)$/gm)].map((m) => ({ account: m[1]!, thread: Number(m[2]), at: m.index }));
}

async function expectVerified(names: string[]): Promise<void> {
  for (const name of names) {
    for (const folder of FOLDERS) expect(await folderDifferences(src(name), folder, dst(name), folder), `${name} ${folder}`).toEqual([]);
  }
}

describe('migrate --batch in account threads', () => {
  it('a thread that dies fails only the accounts it hosted, a wrong password only its own; the rest complete; a rerun completes all but the wrong one', async () => {
    const run = await runBatch(CRASH);
    expect(run.code, describeAppRun(run)).toBe(1);
    const failed = run.summary!.failed;
    const died = failed.filter((f) => f.name !== WRONG);
    // The crashing account and at most the accounts its thread hosted with it, all for the thread's death.
    expect(died.map((f) => f.name)).toContain(CRASH);
    expect(died.length).toBeLessThanOrEqual(PARALLEL / THREADS);
    for (const f of died) expect(f.errors[0]?.message, f.name).toMatch(new RegExp(`the thread running it died: test: ${CRASH}'s engine threw outside any call`));
    expect(failed.find((f) => f.name === WRONG)).toMatchObject({ exitCode: 3, errors: [{ code: 'EAUTH' }] });
    expect(run.summary!.completed).toBe(ACCOUNTS.length - failed.length);
    await expectVerified(ACCOUNTS.filter((name) => !failed.some((f) => f.name === name)));

    // Several accounts per thread, never more threads than asked for plus the one that replaced the dead thread.
    const placed = threadsOf(run.stderr);
    expect(placed.map((p) => p.account).sort()).toEqual(ACCOUNTS);
    const perThread = new Map<number, number>();
    for (const { thread } of placed) perThread.set(thread, (perThread.get(thread) ?? 0) + 1);
    expect(Math.max(...perThread.values())).toBeGreaterThanOrEqual(2);
    expect(perThread.size).toBeLessThanOrEqual(THREADS + 1);
    // An account started after the crashing one failed never runs in the dead thread.
    const deadThread = placed.find((p) => p.account === CRASH)!.thread;
    const crashReported = run.stderr.search(new RegExp(`\\] ${CRASH}: FAILED`));
    expect(crashReported).toBeGreaterThan(0);
    for (const later of placed.filter((p) => p.at > crashReported)) expect(later.thread, later.account).not.toBe(deadThread);
    // No password in what the batch printed.
    expect(run.stdout + run.stderr).not.toMatch(/secret-pw/);

    const again = await runBatch(undefined);
    expect(again.code, describeAppRun(again)).toBe(1);
    expect(again.summary!.failed.map((f) => [f.name, f.errors[0]?.code])).toEqual([[WRONG, 'EAUTH']]);
    await expectVerified(ACCOUNTS.filter((name) => name !== WRONG));
  }, 330_000);
});
