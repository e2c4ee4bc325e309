// A Maildir whose file system fills up during a mirror (a 2 MB tmpfs here):
// the run keeps what it wrote, stops at the first full write instead of
// downloading every later message to fail it, says so once, and the run
// after making room completes with each message once. The same for the
// state database's file system (a 256 KB tmpfs).
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
function mountSmall(name: string, size: string): { disk: string } | { refused: string } {
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
  server = await startDovecot({ users: { alice: PASSWORD, bob: PASSWORD } });
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
    expect(human.stdout + human.stderr).toMatch(/result +INCOMPLETE: out of disk space/);

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
    expect(output).toMatch(/result +INCOMPLETE: out of disk space/);
    expect(output).not.toMatch(/SqliteError|"level":50/);

    execFileSync('mount', ['-o', 'remount,size=20m', disk]);
    const rerun = await runCli([...args, '--json'], { env: { PW: PASSWORD } });
    expect(rerun.status, rerun.stderr).toBe(0);
    for (const folder of FOLDERS) expect(files(maildir, folder, 'cur')).toHaveLength(SMALL_PER_FOLDER);
  });
});
