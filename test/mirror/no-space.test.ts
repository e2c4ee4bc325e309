// A Maildir whose file system fills up during a mirror (a 2 MB tmpfs here):
// the run keeps what it wrote, stops at the first full write instead of
// downloading every later message to fail it, says so once, and the run
// after making room completes with each message once. The same for the
// state database's file system (a 256 KB tmpfs). And a read-only file
// system: one line, exit 2, for a Maildir or state to be made there; a
// stop at the first refused write of a Maildir that is there, with the
// remedy for a read-only disk.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages, makeMessage } from '../support/messages.js';
import { runCli } from './helpers.js';

const PASSWORD = 'alice-pw';
const FOLDERS = ['Archive', 'INBOX', 'Sent'];
const PER_FOLDER = 15;
const SMALL_PER_FOLDER = 200;

let server: DovecotServer;
let scratch: string;
const mounted: string[] = [];

/** A small tmpfs at `scratch/name` (unmounted after the tests), or why the machine refuses one (mounting needs root). */
function mountSmall(name: string, size = '20m'): { disk: string } | { refused: string } {
  const disk = join(scratch, name);
  mkdirSync(disk);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', disk], { stdio: 'pipe' });
  } catch (error) {
    return { refused: String((error as { stderr?: Buffer }).stderr ?? error).trim() };
  }
  mounted.push(disk);
  return { disk };
}

beforeAll(async () => {
  server = await startDovecot({ users: { alice: PASSWORD, bob: PASSWORD, carol: PASSWORD } });
  scratch = mkdtempSync(join(tmpdir(), 'imapfw-no-space-'));
  for (const folder of FOLDERS) {
    await appendMessages(
      server,
      'alice',
      folder,
      Array.from({ length: PER_FOLDER }, (_, i) => ({ raw: makeMessage({ subject: `${folder} ${i}`, size: 100_000 }) })),
    );
    await appendMessages(
      server,
      'bob',
      folder,
      Array.from({ length: SMALL_PER_FOLDER }, (_, i) => ({ raw: makeMessage({ subject: `${folder} ${i}`, size: 500 }) })),
    );
  }
});

afterAll(async () => {
  for (const dir of mounted) execFileSync('umount', [dir]);
  await server?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function files(maildir: string, folder: string, sub: string): string[] {
  const dir = join(folder === 'INBOX' ? maildir : join(maildir, `.${folder}`), sub);
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe('mirror: the Maildir runs out of space', () => {
  it('stops at the first full write with one error, keeps what landed, and the run after making room completes with each message once', async (context) => {
    const small = mountSmall('disk', '2m');
    if ('refused' in small) return context.skip(`no tmpfs to fill: ${small.refused}`);
    const { disk } = small;
    const maildir = join(disk, 'Mail');
    const args = ['mirror', '--remote', server.url('alice'), '--maildir', maildir, '--password-env', 'PW', '--state-dir', join(scratch, 'state'), '--max-connections', '1'];

    const full = await runCli([...args, '--json'], { env: { PW: PASSWORD } });
    expect(full.status, full.stderr).toBe(1);
    const summary = JSON.parse(full.stdout) as { copied: number; errors: { code: string; message: string }[]; skipped: unknown[] };
    expect(summary.errors.map((error) => error.code)).toEqual(['ENOSPACE']);
    expect(summary.errors[0]!.message).toMatch(/cannot take more messages \(ENOSPC/);
    // One error, not a skipped line per message; and the folder after the full one was not started.
    expect(summary.skipped).toEqual([]);
    expect(summary.copied).toBeGreaterThan(0);
    expect(summary.copied).toBeLessThan(2 * PER_FOLDER);
    expect(files(maildir, 'Sent', 'cur')).toEqual([]);
    for (const folder of FOLDERS) expect(files(maildir, folder, 'tmp')).toEqual([]);

    const human = await runCli(args, { env: { PW: PASSWORD } });
    expect(human.stdout + human.stderr).toMatch(/result +INCOMPLETE: a local disk is full or read-only/);

    execFileSync('mount', ['-o', 'remount,size=20m', disk]);
    const rerun = await runCli([...args, '--json'], { env: { PW: PASSWORD } });
    expect(rerun.status, rerun.stderr).toBe(0);
    for (const folder of FOLDERS) expect(files(maildir, folder, 'cur')).toHaveLength(PER_FOLDER);
  });
});

describe('mirror: the state database runs out of space', () => {
  it('ends the run with one line naming the database, no stack, and the run after making room completes with each message once', async (context) => {
    const small = mountSmall('state-disk', '256k');
    if ('refused' in small) return context.skip(`no tmpfs to fill: ${small.refused}`);
    const { disk } = small;
    const maildir = join(scratch, 'bob-mail');
    const args = ['mirror', '--remote', server.url('bob'), '--maildir', maildir, '--password-env', 'PW', '--state-dir', disk];

    const full = await runCli(args, { env: { PW: PASSWORD } });
    const output = full.stdout + full.stderr;
    expect(full.status, output).toBe(1);
    const errorLines = output.split('\n').filter((line) => line.includes('[ENOSPACE]'));
    expect(errorLines, output).toHaveLength(1);
    expect(errorLines[0]).toMatch(/: \[ENOSPACE\] the state database .* cannot grow \(SQLITE_FULL/);
    expect(output).toMatch(/result +INCOMPLETE: a local disk is full or read-only/);
    expect(output).not.toMatch(/SqliteError|"level":50/);

    execFileSync('mount', ['-o', 'remount,size=20m', disk]);
    const rerun = await runCli([...args, '--json'], { env: { PW: PASSWORD } });
    expect(rerun.status, rerun.stderr).toBe(0);
    for (const folder of FOLDERS) expect(files(maildir, folder, 'cur')).toHaveLength(SMALL_PER_FOLDER);
  });
});

describe('mirror: a read-only file system', () => {
  it('refuses a Maildir or a state to be made there in one line, stops a Maildir that is there at its first write, and the run after it is writable again completes', async (context) => {
    const small = mountSmall('ro-disk');
    if ('refused' in small) return context.skip(`no tmpfs to mount read-only: ${small.refused}`);
    const { disk } = small;
    await appendMessages(server, 'carol', 'INBOX', [{ raw: makeMessage({ subject: 'first' }) }]);
    const maildir = join(disk, 'Mail');
    const state = join(scratch, 'carol-state');
    const mirror = (root: string, stateDir: string) =>
      runCli(['mirror', '--remote', server.url('carol'), '--maildir', root, '--password-env', 'PW', '--state-dir', stateDir], { env: { PW: PASSWORD } });
    expect((await mirror(maildir, state)).status).toBe(0);
    execFileSync('mount', ['-o', 'remount,ro', disk]);

    const newState = await mirror(join(scratch, 'carol-mail-2'), disk);
    expect(newState.status, newState.stderr).toBe(2);
    expect(newState.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^imapfw mirror: the state directory .*\/ro-disk cannot be written \(EROFS/)]);
    const newMaildir = await mirror(join(disk, 'Other'), join(scratch, 'carol-state-2'));
    expect(newMaildir.status, newMaildir.stderr).toBe(2);
    expect(newMaildir.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^imapfw mirror: the Maildir .*\/ro-disk\/Other cannot be made \(EROFS: .* is on a read-only file system\)/)]);

    await appendMessages(server, 'carol', 'INBOX', [{ raw: makeMessage({ subject: 'second' }) }]);
    const refused = await mirror(maildir, state);
    const output = refused.stdout + refused.stderr;
    expect(refused.status, output).toBe(1);
    expect(output).toMatch(/\[ENOSPACE\] .*the Maildir .* cannot take more messages \(EROFS.*\): make its file system writable again/);
    expect(output).toMatch(/result +INCOMPLETE: a local disk is full or read-only/);

    execFileSync('mount', ['-o', 'remount,rw', disk]);
    const rerun = await mirror(maildir, state);
    expect(rerun.status, rerun.stdout + rerun.stderr).toBe(0);
    expect(files(maildir, 'INBOX', 'cur')).toHaveLength(2);
  });
});
