// Ctrl-C (SIGINT) or SIGTERM in the middle of a one-shot mirror, sync or
// migrate: the run finishes the batches in flight, starts nothing more, and
// prints what it did, marked interrupted, with exit 130 / 143. Every message
// that landed was counted and paired (none the summary does not know of);
// the next run does the rest, copying nothing twice.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src/api/index.js';
import { describeAppRun, startApp } from '../support/cli-run.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { dropIntoMaildir, makeMessage } from '../support/messages.js';
import { folderDir, localMessages } from '../mirror/helpers.js';

const PASSWORD = 'pw';
const FOLDERS = ['Archive', 'INBOX', 'Sent'];
const PER_FOLDER = 2000;
const TOTAL = FOLDERS.length * PER_FOLDER;

let server: DovecotServer;
let scratch: string;

beforeAll(async () => {
  server = await startDovecot({ users: { mirrored: PASSWORD, synced: PASSWORD, source: PASSWORD, target: PASSWORD, first: PASSWORD, second: PASSWORD } });
  scratch = mkdtempSync(join(tmpdir(), 'imapfw-interrupt-'));
  for (const user of ['mirrored', 'synced', 'source']) {
    for (const folder of FOLDERS) {
      await dropIntoMaildir(server, user, folder, Array.from({ length: PER_FOLDER }, (_, i) => ({ raw: makeMessage({ subject: `${folder} ${i}`, size: 800 }) })));
    }
  }
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** The files of the FOLDERS of a Maildir under `subs`; `layout` is the Maildir's (imapfw's is Maildir++, the test server's may be fs). */
function filesIn(maildir: string, subs: readonly ('cur' | 'new' | 'tmp')[], layout: 'maildir++' | 'fs' = 'maildir++'): number {
  let files = 0;
  for (const folder of FOLDERS) {
    const dir = layout === 'fs' && folder !== 'INBOX' ? join(maildir, folder) : folderDir(maildir, folder);
    for (const sub of subs) {
      try {
        files += readdirSync(join(dir, sub)).length;
      } catch {
        // the folder is not made yet
      }
    }
  }
  return files;
}

/** The messages a server user's folders hold (its Maildir's files). */
function onServer(user: string): number {
  return filesIn(server.maildirOf(user), ['cur', 'new'], server.layout);
}

/** Resolves once `count()` reaches `least`. */
async function reaches(count: () => number, least: number): Promise<void> {
  while (count() < least) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe.each([
  ['mirror', 'mirrored', 'SIGINT', 130],
  ['sync', 'synced', 'SIGTERM', 143],
] as const)('%s interrupted', (app, user, signal, code) => {
  it(`${signal} mid-run: the batches in flight finish, the summary counts every message that landed, and the next run does the rest`, async () => {
    const maildir = join(scratch, user);
    // One connection: a run long enough to stop in its middle.
    const args = ['--remote', server.url(user), '--maildir', maildir, '--password-env', 'PW', '--state-dir', join(scratch, `${user}-state`), '--max-connections', '1', '--json'];
    const running = startApp<RunSummary>(app, args, { env: { PW: PASSWORD } });
    await reaches(() => filesIn(maildir, ['cur', 'new']), 100);
    running.child.kill(signal);
    const stopped = await running.done;

    expect(stopped.code, describeAppRun(stopped)).toBe(code);
    expect(stopped.stderr).toContain(`${signal}: finishing the writes in flight`);
    expect(stopped.summary, describeAppRun(stopped)).toMatchObject({ interrupted: true, complete: false, errors: [], skipped: [] });
    const copied = stopped.summary!.copied;
    expect(copied).toBeGreaterThanOrEqual(100);
    expect(copied).toBeLessThan(TOTAL);
    // What landed is what the summary counted, each committed: none is left for the next run to pair by identity.
    expect(filesIn(maildir, ['cur', 'new'])).toBe(copied);
    expect(filesIn(maildir, ['tmp'])).toBe(0);

    const rerun = await startApp<RunSummary>(app, args, { env: { PW: PASSWORD } }).done;
    expect(rerun.code, describeAppRun(rerun)).toBe(0);
    expect(rerun.summary).toMatchObject({ complete: true, copied: TOTAL - copied, paired: 0 });
    for (const folder of FOLDERS) expect(localMessages(maildir, folder)).toHaveLength(PER_FOLDER);
  });
});

describe('mirror --watch stopped during its first pass', () => {
  it('SIGTERM: the pass winds down as a one-shot run does; the next run pairs nothing by identity', async () => {
    const maildir = join(scratch, 'watched');
    const args = ['--remote', server.url('mirrored'), '--maildir', maildir, '--password-env', 'PW', '--state-dir', join(scratch, 'watched-state'), '--max-connections', '1'];
    const running = startApp<RunSummary>('mirror', [...args, '--watch'], { env: { PW: PASSWORD } });
    await reaches(() => filesIn(maildir, ['cur', 'new']), 100);
    running.child.kill('SIGTERM');
    const stopped = await running.done;

    expect(stopped.code, describeAppRun(stopped)).toBe(143);
    expect(stopped.stderr).toContain('SIGTERM: finishing the writes in flight');
    const landed = filesIn(maildir, ['cur', 'new']);
    expect(landed).toBeLessThan(TOTAL);
    expect(filesIn(maildir, ['tmp'])).toBe(0);

    const rerun = await startApp<RunSummary>('mirror', [...args, '--json'], { env: { PW: PASSWORD } }).done;
    expect(rerun.code, describeAppRun(rerun)).toBe(0);
    // Every message the daemon wrote was recorded before it stopped.
    expect(rerun.summary).toMatchObject({ complete: true, copied: TOTAL - landed, paired: 0 });
  });
});

describe('migrate interrupted', () => {
  it('SIGINT mid-run: the batches in flight finish, nothing is verified or deleted yet, and the same command finishes without copying twice', async () => {
    const args = ['--from', server.url('source'), '--to', server.url('target'), '--from-password-env', 'PW', '--to-password-env', 'PW', '--state-dir', join(scratch, 'migrate-state'), '--max-connections', '1', '--json'];
    const running = startApp<{ transferred: number; interrupted?: boolean; complete: boolean; errors: unknown[] }>('migrate', args, { env: { PW: PASSWORD } });
    await reaches(() => onServer('target'), 100);
    running.child.kill('SIGINT');
    const stopped = await running.done;

    expect(stopped.code, describeAppRun(stopped)).toBe(130);
    expect(stopped.summary, describeAppRun(stopped)).toMatchObject({ interrupted: true, complete: false, errors: [] });
    const transferred = stopped.summary!.transferred;
    expect(transferred).toBeGreaterThanOrEqual(100);
    expect(transferred).toBeLessThan(TOTAL);
    expect(onServer('target'), JSON.stringify(stopped.summary)).toBe(transferred);

    const rerun = await startApp<{ transferred: number; complete: boolean }>('migrate', args, { env: { PW: PASSWORD } }).done;
    expect(rerun.code, describeAppRun(rerun)).toBe(0);
    expect(rerun.summary).toMatchObject({ complete: true, transferred: TOTAL - transferred });
    expect(onServer('target')).toBe(TOTAL);
  });
});

describe('migrate --batch interrupted', () => {
  it('SIGINT mid-batch: the account running winds down, the next is not started, and the batch run again finishes both', async () => {
    // Sources the other tests only read (a migration opens them read-only too).
    const csv = join(scratch, 'accounts.csv');
    writeFileSync(csv, `name,from,from_password_env,to,to_password_env\nfirst,${server.url('mirrored')},PW,${server.url('first')},PW\nsecond,${server.url('synced')},PW,${server.url('second')},PW\n`);
    const args = ['--batch', csv, '--parallel', '1', '--max-connections', '1', '--state-dir', join(scratch, 'batch-state'), '--json'];
    type BatchSummary = { interrupted: string[]; failed: unknown[]; notRun: number; complete: boolean; total: { transferred: number } };
    const running = startApp<BatchSummary>('migrate', args, { env: { PW: PASSWORD } });
    await reaches(() => onServer('first'), 100);
    running.child.kill('SIGINT');
    const stopped = await running.done;

    expect(stopped.code, describeAppRun(stopped)).toBe(130);
    expect(stopped.summary, describeAppRun(stopped)).toMatchObject({ interrupted: ['first'], failed: [], notRun: 1, complete: false });
    expect(stopped.stderr).toMatch(/\] first: interrupted, \d+ transferred/);
    const transferred = stopped.summary!.total.transferred;
    expect(onServer('first')).toBe(transferred);

    const rerun = await startApp<BatchSummary>('migrate', args, { env: { PW: PASSWORD } }).done;
    expect(rerun.code, describeAppRun(rerun)).toBe(0);
    expect(rerun.summary).toMatchObject({ complete: true, total: { transferred: 2 * TOTAL - transferred } });
  });
});
