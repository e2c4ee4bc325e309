// Ctrl-C (SIGINT) or SIGTERM in the middle of a one-shot mirror, sync or
// migrate: the run finishes the batches in flight, starts nothing more, and
// prints what it did, marked interrupted, with exit 130 / 143. Every message
// that landed was counted and paired (none the summary does not know of);
// the next run does the rest, copying nothing twice.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
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
  server = await startDovecot({ users: { mirrored: PASSWORD, synced: PASSWORD, source: PASSWORD, target: PASSWORD } });
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

/** The messages in the FOLDERS of a Maildir (imapfw's, Maildir++; or the server's, with `layout`) under `subs`. */
function filesIn(maildir: string, ...subs: ('cur' | 'new' | 'tmp')[]): number {
  let files = 0;
  const fsLayout = maildir === server.maildirOf('target') && server.layout === 'fs';
  for (const folder of FOLDERS) {
    const dir = fsLayout && folder !== 'INBOX' ? join(maildir, folder) : folderDir(maildir, folder);
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

/** Resolves once `count` messages are in the Maildir's cur/ and new/ folders. */
async function landed(maildir: string, count: number): Promise<void> {
  while (filesIn(maildir, 'cur', 'new') < count) await new Promise((resolve) => setTimeout(resolve, 20));
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
    await landed(maildir, 100);
    running.child.kill(signal);
    const stopped = await running.done;

    expect(stopped.code, describeAppRun(stopped)).toBe(code);
    expect(stopped.stderr).toContain(`${signal}: finishing the writes in flight`);
    expect(stopped.summary, describeAppRun(stopped)).toMatchObject({ interrupted: true, complete: false, errors: [], skipped: [] });
    const copied = stopped.summary!.copied;
    expect(copied).toBeGreaterThanOrEqual(100);
    expect(copied).toBeLessThan(TOTAL);
    // What landed is what the summary counted, each committed: none is left for the next run to pair by identity.
    expect(filesIn(maildir, 'cur', 'new')).toBe(copied);
    expect(filesIn(maildir, 'tmp')).toBe(0);

    const rerun = await startApp<RunSummary>(app, args, { env: { PW: PASSWORD } }).done;
    expect(rerun.code, describeAppRun(rerun)).toBe(0);
    expect(rerun.summary).toMatchObject({ complete: true, copied: TOTAL - copied, paired: 0 });
    for (const folder of FOLDERS) expect(localMessages(maildir, folder)).toHaveLength(PER_FOLDER);
  });
});

describe('migrate interrupted', () => {
  it('SIGINT mid-run: the batches in flight finish, nothing is verified or deleted yet, and the same command finishes without copying twice', async () => {
    const target = server.maildirOf('target');
    const args = ['--from', server.url('source'), '--to', server.url('target'), '--from-password-env', 'PW', '--to-password-env', 'PW', '--state-dir', join(scratch, 'migrate-state'), '--max-connections', '1', '--json'];
    const running = startApp<{ transferred: number; interrupted?: boolean; complete: boolean; errors: unknown[] }>('migrate', args, { env: { PW: PASSWORD } });
    await landed(target, 100);
    running.child.kill('SIGINT');
    const stopped = await running.done;

    expect(stopped.code, describeAppRun(stopped)).toBe(130);
    expect(stopped.summary, describeAppRun(stopped)).toMatchObject({ interrupted: true, complete: false, errors: [] });
    const transferred = stopped.summary!.transferred;
    expect(transferred).toBeGreaterThanOrEqual(100);
    expect(transferred).toBeLessThan(TOTAL);
    expect(filesIn(target, 'cur', 'new'), JSON.stringify(stopped.summary)).toBe(transferred);

    const rerun = await startApp<{ transferred: number; complete: boolean }>('migrate', args, { env: { PW: PASSWORD } }).done;
    expect(rerun.code, describeAppRun(rerun)).toBe(0);
    expect(rerun.summary).toMatchObject({ complete: true, transferred: TOTAL - transferred });
    expect(filesIn(target, 'cur', 'new')).toBe(TOTAL);
  });
});
